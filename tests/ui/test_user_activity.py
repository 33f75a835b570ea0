"""Under server-side detection the status line still learns when the user speaks, from the mic level."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

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
    seen: list[tuple[float, object]] = []
    conversation = Conversation(persona=persona, tools=ToolRuntime(persona), sink=NullSink(),
                                notify=lambda event: seen.append((clock.now, event)), clock=clock)
    levels = [-90.0] * 5 + [-27.0] * 50 + [-90.0] * round(2 * SPEECH_HANGOVER_S / FRAME_S)
    current = {"dbfs": -90.0}

    async def frames() -> AsyncIterator[bytes]:
        for dbfs in levels:
            clock.now += FRAME_S
            current["dbfs"] = dbfs
            yield bytes(ev.FRAME_BYTES)

    await conversation.pump_microphone(frames(), level=lambda: current["dbfs"])

    activity = [(at, event) for at, event in seen if isinstance(event, ev.UserActivity)]
    assert [event for _, event in activity] == [ev.UserActivity(True), ev.UserActivity(False)]
    first_loud, last_loud = 100.0 + 6 * FRAME_S, 100.0 + 55 * FRAME_S
    assert activity[0][0] == pytest.approx(first_loud)  # it starts with the first loud frame
    # It ends once the mic has been quiet for the hangover, not at the first quiet frame.
    assert SPEECH_HANGOVER_S - 1e-9 <= activity[1][0] - last_loud <= SPEECH_HANGOVER_S + FRAME_S + 1e-9
    assert [event.dbfs for _, event in seen if isinstance(event, ev.MicLevel)] == [-90.0, -27.0, -90.0]
    assert conversation.at_safe_point()
