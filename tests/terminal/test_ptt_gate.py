"""The push-to-talk gate: audio only inside a turn the keys opened, bracketed by activity start and end."""

from __future__ import annotations

from voicecli import events as ev
from voicecli.terminal.ptt import PushToTalkGate

FRAME = b"\x01\x00" * 320


def feed(gate: PushToTalkGate, frames: int) -> list[object]:
    out: list[object] = []
    for _ in range(frames):
        out.extend(gate.process(FRAME))
    return out


def test_nothing_is_sent_outside_a_turn() -> None:
    gate = PushToTalkGate()
    assert feed(gate, 5) == []
    assert gate.flush() == []


def test_a_turn_is_start_frames_end_and_then_nothing() -> None:
    gate = PushToTalkGate()
    gate.start()
    assert gate.talking
    sent = feed(gate, 3)
    gate.end()
    sent += feed(gate, 3)
    assert sent == [ev.ActivityStart(), FRAME, FRAME, FRAME, FRAME, ev.ActivityEnd()]
    assert not gate.talking


def test_a_press_and_release_between_two_frames_sends_nothing() -> None:
    gate = PushToTalkGate()
    gate.start()
    gate.end()
    assert feed(gate, 2) == []


def test_the_microphone_stopping_closes_an_open_turn() -> None:
    gate = PushToTalkGate()
    gate.start()
    assert feed(gate, 1) == [ev.ActivityStart(), FRAME]
    assert gate.flush() == [ev.ActivityEnd()]
    assert feed(gate, 1) == []


def test_start_again_while_talking_keeps_one_turn() -> None:
    gate = PushToTalkGate()
    gate.start()
    feed(gate, 1)
    gate.start()
    assert feed(gate, 1) == [FRAME]
