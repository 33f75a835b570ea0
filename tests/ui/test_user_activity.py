"""Under server-side detection the status line still learns when the user speaks, from the mic level."""

from __future__ import annotations

from collections.abc import AsyncIterator

from tests.e2e.resilience_harness import NullSink
from voicecli import events as ev
from voicecli.agent import SPEECH_HANGOVER_S, Conversation
from voicecli.persona import load_persona
from voicecli.tools import ToolRuntime

FRAME_S = 0.02


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_speech_at_the_mic_is_reported_as_user_activity() -> None:
    persona = load_persona("laura")
    clock = Clock()
    seen: list[object] = []
    conversation = Conversation(persona=persona, tools=ToolRuntime(persona), sink=NullSink(),
                                notify=seen.append, clock=clock)
    levels = [-90.0] * 5 + [-27.0] * 50 + [-90.0] * round(2 * SPEECH_HANGOVER_S / FRAME_S)
    current = {"dbfs": -90.0}

    async def frames() -> AsyncIterator[bytes]:
        for dbfs in levels:
            clock.now += FRAME_S
            current["dbfs"] = dbfs
            yield bytes(ev.FRAME_BYTES)

    await conversation.pump_microphone(frames(), level=lambda: current["dbfs"])

    activity = [(index, event) for index, event in enumerate(seen) if isinstance(event, ev.UserActivity)]
    assert [event for _, event in activity] == [ev.UserActivity(True), ev.UserActivity(False)]
    levels_seen = [event.dbfs for event in seen if isinstance(event, ev.MicLevel)]
    started, stopped = (sum(isinstance(e, ev.MicLevel) for e in seen[:index]) for index, _ in activity)
    assert levels_seen[started - 1] == -27.0  # it starts with the first loud frame
    # It ends once the mic has been quiet for the hangover, not at the first quiet frame.
    quiet_frames = stopped - 55
    assert round(SPEECH_HANGOVER_S / FRAME_S) <= quiet_frames <= round(SPEECH_HANGOVER_S / FRAME_S) + 1
    assert conversation.at_safe_point()
