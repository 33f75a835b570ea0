"""The guards wired into the conversation, without a service: what each one sends, shows, logs and counts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.resilience_harness import NullSink
from voicecli import events as ev
from voicecli.agent import Conversation
from voicecli.guards.settings import GuardSettings
from voicecli.guards.stall import LOST_TURN_TEXT, NUDGE_TEXT, StallStep
from voicecli.persona import load_persona
from voicecli.recorder import Recorder
from voicecli.tools import ToolRuntime

REPO = Path(__file__).resolve().parents[2]


class ListRecorder(Recorder):
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def event(self, kind: str, detail: dict[str, Any]) -> None:
        self.events.append((kind, detail))


class FakeControl:
    def __init__(self) -> None:
        self.requests: list[tuple[str, Any, Any]] = []

    def request_resume(self, first_message: ev.Outgoing | None = None) -> None:
        self.requests.append(("resume", None, first_message))

    def request_fresh_session(self, context: str | None, first_message: ev.Outgoing | None = None) -> None:
        self.requests.append(("fresh", context, first_message))


def conversation(guards: GuardSettings | None = None, **kwargs: Any) -> tuple[Conversation, list[object], ListRecorder]:
    persona = load_persona(REPO / "personas" / "laura.yaml")
    seen: list[object] = []
    recorder = ListRecorder()
    conv = Conversation(persona=persona, tools=ToolRuntime(persona), sink=NullSink(), notify=seen.append,
                        recorder=recorder, greeting=False, guards=guards, **kwargs)
    return conv, seen, recorder


def queued(conv: Conversation) -> list[ev.Outgoing]:
    queue = conv.outgoing
    return [queue._items[i] for i in range(queue.qsize())]  # noqa: SLF001 - nothing takes from it here


def notes(conv: Conversation) -> list[ev.SendText]:
    return [m for m in queued(conv) if isinstance(m, ev.SendText) and not m.turn_complete]


def cut_turn(conv: Conversation, words: str = "Your appointment is on Monday at") -> None:
    conv.on_server_event(ev.Transcript("agent", words))
    conv.on_server_event(ev.ServerInterrupted())


def test_one_note_per_interruption_when_the_cut_turn_closes() -> None:
    conv, seen, recorder = conversation()
    conv.attach_connection(FakeControl(), "gemini-3.8-live")
    cut_turn(conv)
    conv.on_server_event(ev.ServerInterrupted())  # the same interruption reported again
    assert notes(conv) == []  # not before the service closes the cut turn
    conv.on_server_event(ev.ServerTurnComplete())
    (note,) = notes(conv)
    assert note.resend is False and note.text.startswith("[The user heard ")  # NullSink: none of it
    assert [e for e in seen if isinstance(e, ev.HeardNote)] == [ev.HeardNote(note.text)]
    assert [kind for kind, _ in recorder.events].count("heard_note") == 1
    cut_turn(conv, "Sure, I can")
    conv.on_server_event(ev.ServerTurnComplete())
    assert len(notes(conv)) == 2
    assert conv.stats.summary()["heard_notes"] == 2


def test_a_reply_that_repeats_after_a_drop_gets_no_note_and_one_cut_for_good_does() -> None:
    conv, _, _ = conversation()
    conv.attach_connection(FakeControl(), "gemini-3.8-live")
    conv.on_server_event(ev.Transcript("agent", "Let me check"))
    conv.on_server_event(ev.ReplyCut(will_repeat=True))
    conv.on_server_event(ev.Transcript("agent", "Let me check your calendar."))
    conv.on_server_event(ev.ServerTurnComplete())
    assert notes(conv) == []
    conv.on_server_event(ev.Transcript("agent", "Your next session is"))
    conv.on_server_event(ev.ReplyCut(will_repeat=False))
    (note,) = notes(conv)
    assert "the connection dropped" in note.text


@pytest.mark.parametrize(("model", "option"), [("gemini-3.1-flash-live-preview", True), ("gemini-3.8-live", False)])
def test_no_note_where_the_model_refuses_client_content_or_the_option_is_off(model: str, option: bool) -> None:
    conv, seen, _ = conversation(GuardSettings(heard_note=option))
    conv.attach_connection(FakeControl(), model)
    cut_turn(conv)
    conv.on_server_event(ev.ServerTurnComplete())
    assert notes(conv) == [] and not [e for e in seen if isinstance(e, ev.HeardNote)]
    assert conv.stats.summary()["heard_notes_withheld"] == 1


def test_grounding_is_shown_and_logged() -> None:
    conv, seen, recorder = conversation()
    grounding = ev.Grounding((ev.GroundingSource("example.com", "https://example.com/a"),), ("chess",))
    conv.on_server_event(grounding)
    assert grounding in seen
    assert recorder.events == [("grounding", {"sources": [{"title": "example.com", "uri": "https://example.com/a"}],
                                              "queries": ["chess"]})]


async def test_the_mic_level_is_shown_only_when_it_changes() -> None:
    conv, seen, _ = conversation(GuardSettings(stall_after_s=0))
    levels = iter([-60.0, -60.0, -60.0, -30.0, -30.0, -60.0])

    async def frames() -> AsyncIterator[bytes]:
        for _ in range(6):
            yield bytes(640)

    await conv.pump_microphone(frames(), level=lambda: next(levels))
    assert [e.dbfs for e in seen if isinstance(e, ev.MicLevel)] == [-60.0, -30.0, -60.0]


async def test_a_stall_climbs_the_ladder_through_the_connection() -> None:
    conv, seen, recorder = conversation(GuardSettings(stall_after_s=0.05, stall_step_wait_s=0.05, drift=False))
    control = FakeControl()

    async def link(c: Conversation) -> None:
        c.attach_connection(control, "gemini-3.8-live")
        await asyncio.Event().wait()

    async def drive() -> None:
        conv.on_server_event(ev.Transcript("user", "Book me in for Tuesday."))
        conv.on_sent(ev.SendAudioStreamEnd())  # the user's turn ended: an answer is due
        async with asyncio.timeout(10):
            while not any(e == ev.Stall(StallStep.GIVE_UP.value, False) for e in seen):  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    await conv.run(link, drive)
    stages = [e.stage for e in seen if isinstance(e, ev.Stall)]
    assert stages == ["nudge", "resume", "fresh_session", "gave_up"]
    assert [m.text for m in queued(conv) if isinstance(m, ev.SendText)] == [NUDGE_TEXT]
    (resume, fresh) = control.requests
    assert resume[0] == "resume" and resume[2] == ev.SendText(NUDGE_TEXT, resend=False)
    assert fresh[0] == "fresh" and 'not answered yet: "Book me in for Tuesday."' in fresh[1]
    assert fresh[2] == ev.SendText(NUDGE_TEXT, resend=False)
    assert [d["stage"] for kind, d in recorder.events if kind == "stall"] == stages
    summary = conv.stats.summary()
    assert summary["stalls"] == 1 and summary["stalls_unrecovered"] == 1


async def test_a_fresh_session_without_the_users_words_asks_them_to_say_it_again() -> None:
    conv, _, _ = conversation(GuardSettings(stall_after_s=0.05, stall_step_wait_s=0.05, drift=False))
    control = FakeControl()

    async def link(c: Conversation) -> None:
        c.attach_connection(control, "gemini-3.8-live")
        await asyncio.Event().wait()

    async def drive() -> None:
        conv.on_sent(ev.SendActivityStart())
        conv.on_sent(ev.SendActivityEnd())
        async with asyncio.timeout(10):
            while len(control.requests) < 2:  # noqa: ASYNC110 - moved by the stall watch's timer
                await asyncio.sleep(0.01)

    await conv.run(link, drive)
    assert control.requests[1][2] == ev.SendText(LOST_TURN_TEXT, resend=False)


async def test_a_stall_guard_at_zero_never_acts() -> None:
    conv, seen, _ = conversation(GuardSettings(stall_after_s=0, drift=False))

    async def link(c: Conversation) -> None:
        await asyncio.Event().wait()

    async def drive() -> None:
        conv.on_sent(ev.SendText("Hello?"))
        await asyncio.sleep(0.6)

    await conv.run(link, drive)
    assert not [e for e in seen if isinstance(e, ev.Stall)]


def test_a_drifted_whole_turn_is_steered_and_a_cut_one_is_not_judged() -> None:
    conv, seen, recorder = conversation(GuardSettings(stall_after_s=0))
    spanish = "Perdona, te respondo en español. Entiendo lo que me dices y sigo aquí para ayudarte."
    conv.on_server_event(ev.Transcript("agent", spanish))
    conv.on_server_event(ev.ServerInterrupted())
    conv.on_server_event(ev.ServerTurnComplete())
    assert not [e for e in seen if isinstance(e, ev.LanguageDrift)]
    conv.on_server_event(ev.Transcript("agent", spanish))
    conv.on_server_event(ev.ServerTurnComplete())  # no task group: judged here, the model loads on first use
    assert [e for e in seen if isinstance(e, ev.LanguageDrift)] == [ev.LanguageDrift("en-US", "es")]
    steers = [m for m in queued(conv) if isinstance(m, ev.SendText) and m.turn_complete]
    assert len(steers) == 1 and "RESPOND IN ENGLISH" in steers[0].text
    assert conv.guards.busy  # the steer's answer is owed: a scripted run waits for it
    assert [kind for kind, _ in recorder.events].count("language_drift") == 1
    assert conv.stats.summary()["language_drifts"] == 1


def test_the_answer_to_a_steer_is_counted_but_never_steered_again() -> None:
    """An agent that stays in the wrong language is shown, not steered turn after turn (no endless loop)."""
    conv, seen, recorder = conversation(GuardSettings(stall_after_s=0))
    spanish = "Perdona, te respondo en español. Entiendo lo que me dices y sigo aquí para ayudarte."
    def spanish_turn() -> None:
        conv.on_server_event(ev.Transcript("agent", spanish))
        conv.on_server_event(ev.ServerTurnComplete())

    spanish_turn()  # drifted: steered
    spanish_turn()  # the steer's answer, still Spanish: counted, not steered again
    assert not conv.guards.busy  # nothing owed: a scripted run goes on to its next turn
    spanish_turn()  # the answer to the next turn: steered again
    steers = [m for m in queued(conv) if isinstance(m, ev.SendText) and m.turn_complete]
    assert len(steers) == 2
    assert conv.stats.summary()["language_drifts"] == 3
    assert [d["steered"] for kind, d in recorder.events if kind == "language_drift"] == [True, False, True]


def test_guard_settings() -> None:
    assert GuardSettings().stall().after_s == 8.0 and GuardSettings().stall().nudge_wait_s == 6.0
    assert not GuardSettings(stall_after_s=0).stall().enabled
    assert StallStep.RESUME not in GuardSettings().stall(can_resume=False).steps
    assert GuardSettings(stall_step_wait_s=1.5).stall().fresh_wait_s == 1.5
    with pytest.raises(ValueError, match="negative"):
        GuardSettings(stall_after_s=-1)
