"""KeyDecoder: typed lines, editing, and push-to-talk by tap or by hold (auto-repeat), on a fake clock."""

from __future__ import annotations

import pytest

from voicecli.terminal.keys import (
    EndOfInput,
    Interrupt,
    KeyDecoder,
    KeyEvent,
    LineEdited,
    LineTyped,
    TalkEnd,
    TalkStart,
)


def typed(events: list[KeyEvent]) -> list[KeyEvent]:
    return [event for event in events if not isinstance(event, LineEdited)]


def test_enter_sends_the_line_and_clears_it() -> None:
    keys = KeyDecoder()
    assert typed(keys.feed(b"hello there\r", 0.0)) == [LineTyped("hello there")]
    assert keys.partial == ""


def test_the_partial_line_is_reported_as_it_changes() -> None:
    keys = KeyDecoder()
    assert keys.feed(b"hi", 0.0) == [LineEdited("h"), LineEdited("hi")]
    assert keys.partial == "hi"


def test_backspace_ctrl_w_and_ctrl_u_edit_the_line() -> None:
    keys = KeyDecoder()
    keys.feed(b"helo\x7f\x7fllo", 0.0)
    assert keys.partial == "hello"
    keys.feed(b" big world\x17", 0.0)
    assert keys.partial == "hello big "
    keys.feed(b"\x15", 0.0)
    assert keys.partial == ""
    assert keys.feed(b"\x08", 0.0) == []  # nothing to delete


def test_empty_lines_are_not_sent_and_crlf_is_one_enter() -> None:
    keys = KeyDecoder()
    assert keys.feed(b"\r\n\r", 0.0) == []
    assert typed(keys.feed(b"yes\r\n", 0.0)) == [LineTyped("yes")]


def test_utf8_split_across_reads() -> None:
    keys = KeyDecoder()
    data = "¿Qué tal? 日本\r".encode()
    events: list[KeyEvent] = []
    for index in range(len(data)):
        events += keys.feed(data[index : index + 1], 0.0)
    assert typed(events) == [LineTyped("¿Qué tal? 日本")]


def test_arrow_and_function_keys_are_swallowed() -> None:
    keys = KeyDecoder()
    keys.feed(b"a\x1b[Ab\x1b[1;5Cc\x1bOPd\x1b[15~e", 0.0)
    assert keys.partial == "abcde"


def test_ctrl_d_on_an_empty_line_ends_input_and_ctrl_c_is_an_interrupt() -> None:
    keys = KeyDecoder()
    assert keys.feed(b"x\x04", 0.0) == [LineEdited("x")]
    keys.feed(b"\x15", 0.0)
    assert keys.feed(b"\x04", 0.0) == [EndOfInput()]
    assert keys.feed(b"\x03", 0.0) == [Interrupt()]


def test_tap_to_start_and_tap_to_stop() -> None:
    keys = KeyDecoder()
    assert keys.feed(b" ", 1.0) == [TalkStart()]
    assert keys.talking
    assert keys.deadline() is None  # no timer while a tapped turn is open
    assert keys.feed(b" ", 4.0) == [TalkEnd("key")]
    assert not keys.talking


def test_enter_ends_a_turn_and_other_keys_are_ignored_while_talking() -> None:
    keys = KeyDecoder()
    keys.feed(b" ", 1.0)
    assert keys.feed(b"abc", 2.0) == []
    assert keys.feed(b"\r", 3.0) == [TalkEnd("enter")]
    assert keys.partial == ""


def test_holding_the_key_talks_until_the_repeats_stop() -> None:
    keys = KeyDecoder(release_gap=0.25)
    assert keys.feed(b" ", 0.0) == [TalkStart()]
    # Auto-repeat: a first repeat after the initial delay, then one every 33 ms for two seconds.
    times = [0.5 + 0.033 * n for n in range(60)]
    for now in times:
        assert keys.feed(b" ", now) == []
    last = times[-1]
    assert keys.deadline() == pytest.approx(last + 0.25)
    assert keys.poll(last + 0.2) == []
    assert keys.poll(last + 0.3) == [TalkEnd("release")]
    assert not keys.talking


def test_repeats_of_the_key_that_stopped_a_turn_do_not_start_another() -> None:
    keys = KeyDecoder(release_gap=0.25)
    keys.feed(b" ", 0.0)
    assert keys.feed(b" ", 3.0) == [TalkEnd("key")]
    for n in range(1, 20):  # the stop key is held a little: its repeats are ignored
        assert keys.feed(b" ", 3.0 + 0.05 * n) == []
    assert keys.feed(b" ", 5.0) == [TalkStart()]  # a fresh press after a quiet gap starts a turn


def test_a_space_inside_a_typed_line_is_a_space() -> None:
    keys = KeyDecoder()
    assert typed(keys.feed(b"two words\r", 0.0)) == [LineTyped("two words")]
    assert not keys.talking


def test_another_talk_key_and_none() -> None:
    keys = KeyDecoder("`")
    assert typed(keys.feed(b" hi\r", 0.0)) == [LineTyped("hi")]
    assert keys.feed(b"`", 1.0) == [TalkStart()]
    off = KeyDecoder(None)
    assert typed(off.feed(b" ", 0.0)) == []
    assert not off.talking


def test_a_control_talk_key_works_mid_line() -> None:
    keys = KeyDecoder("\x14")  # Ctrl-T
    keys.feed(b"draft", 0.0)
    assert keys.feed(b"\x14", 1.0) == [TalkStart()]
    assert keys.partial == "draft"


@pytest.mark.parametrize("key", ["\r", "\x7f", "ab", "\x1b"])
def test_talk_keys_that_clash_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        KeyDecoder(key)


def test_close_ends_an_open_turn_then_the_input() -> None:
    keys = KeyDecoder()
    keys.feed(b" ", 0.0)
    assert keys.close(1.0) == [TalkEnd("closed"), EndOfInput()]
