"""The terminal mode and KeyReader on real pseudo-terminals: keys in, events out, the mode always restored."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from voicecli.terminal import KeyReader, LineTyped, TalkEnd, TalkStart, cbreak
from voicecli.terminal.keys import EndOfInput, KeyEvent, LineEdited
from voicecli.terminal.ptyrun import CTRL_C, PtyProcess

APP = Path(__file__).parent / "keys_app.py"
ROOT = Path(__file__).resolve().parents[2]
LFLAG = 3


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, int]]:
    master, slave = os.openpty()
    yield master, slave
    os.close(master)
    os.close(slave)


def cooked(attrs: list[object]) -> bool:
    flags = attrs[LFLAG]
    assert isinstance(flags, int)
    return bool(flags & termios.ICANON and flags & termios.ECHO and flags & termios.ISIG)


# --- in this process ---------------------------------------------------------------------------


def test_cbreak_turns_off_echo_and_lines_keeps_signals_and_restores(pty_pair: tuple[int, int]) -> None:
    _, slave = pty_pair
    before = termios.tcgetattr(slave)
    assert cooked(before)
    with cbreak(slave) as changed:
        assert changed
        inside = termios.tcgetattr(slave)[LFLAG]
        assert not inside & (termios.ICANON | termios.ECHO)
        assert inside & termios.ISIG
    assert termios.tcgetattr(slave) == before


def test_cbreak_restores_after_an_exception_and_when_nested(pty_pair: tuple[int, int]) -> None:
    _, slave = pty_pair
    before = termios.tcgetattr(slave)
    with pytest.raises(RuntimeError), cbreak(slave):
        with cbreak(slave):
            pass
        assert not termios.tcgetattr(slave)[LFLAG] & termios.ICANON  # the outer block still holds
        raise RuntimeError("inside")
    assert termios.tcgetattr(slave) == before


def test_cbreak_does_nothing_on_a_pipe() -> None:
    read_end, write_end = os.pipe()
    try:
        with cbreak(read_end) as changed:
            assert not changed
    finally:
        os.close(read_end)
        os.close(write_end)


async def collect(reader: KeyReader, count: int) -> list[KeyEvent]:
    events: list[KeyEvent] = []
    while len(events) < count:
        event = await asyncio.wait_for(reader.get(), 5)
        assert event is not None
        if not isinstance(event, LineEdited):
            events.append(event)
    return events


async def test_key_reader_on_a_pty_gives_lines_and_talk_turns(pty_pair: tuple[int, int]) -> None:
    master, slave = pty_pair
    before = termios.tcgetattr(slave)
    async with KeyReader(slave) as keys:
        assert keys.interactive
        os.write(master, "héllo wörld\r".encode())
        assert await collect(keys, 1) == [LineTyped("héllo wörld")]
        os.write(master, b"typ")
        edits = [await asyncio.wait_for(keys.get(), 5) for _ in range(3)]
        assert edits == [LineEdited("t"), LineEdited("ty"), LineEdited("typ")]
        assert keys.partial == "typ"
        os.write(master, b"\x15 ")  # clear the line, then the talk key on an empty line
        assert await collect(keys, 1) == [TalkStart()]
        assert keys.talking
        os.write(master, b"\r")
        assert await collect(keys, 1) == [TalkEnd("enter")]
    assert termios.tcgetattr(slave) == before


async def test_a_held_talk_key_ends_when_its_repeats_stop(pty_pair: tuple[int, int]) -> None:
    master, slave = pty_pair
    async with KeyReader(slave, release_gap=0.1) as keys:
        os.write(master, b" ")
        assert await collect(keys, 1) == [TalkStart()]
        for _ in range(5):  # auto-repeat
            os.write(master, b" ")
            await asyncio.sleep(0.02)
        assert await collect(keys, 1) == [TalkEnd("release")]  # no key: the reader's timer ended it


async def test_key_reader_on_a_pipe_reads_lines_with_the_talk_key_off() -> None:
    read_end, write_end = os.pipe()
    try:
        async with KeyReader(read_end) as keys:
            assert not keys.interactive
            os.write(write_end, b" indented line\nlast line without newline")
            os.close(write_end)
            write_end = -1
            events = await collect(keys, 3)
            assert events == [LineTyped("indented line"), LineTyped("last line without newline"), EndOfInput()]
            assert await keys.get() is None
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


async def test_key_reader_on_a_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "turns.txt"
    path.write_text("first\nsecond\n", encoding="utf-8")
    with path.open("rb") as handle:
        async with KeyReader(handle.fileno()) as keys:
            assert [event async for event in keys if not isinstance(event, LineEdited)] == [
                LineTyped("first"),
                LineTyped("second"),
                EndOfInput(),
            ]


# --- a separate program on a pty, with the pty as its controlling terminal -----------------------


@pytest.fixture
def app() -> Iterator[PtyProcess]:
    with PtyProcess([sys.executable, str(APP)], cwd=ROOT) as term:
        ready = term.expect_json(lambda e: e.get("event") == "ready")
        assert ready["interactive"]
        assert not ready["lflag"] & (termios.ICANON | termios.ECHO)
        assert not cooked(term.attrs())
        yield term


def test_keys_in_events_out_and_a_normal_exit_restores(app: PtyProcess) -> None:
    app.send("hello\r")
    assert app.expect_json(lambda e: e["event"] == "LineTyped") == {"event": "LineTyped", "text": "hello"}
    app.send(" ")
    assert app.expect_json(lambda e: e["event"] != "LineEdited")["event"] == "TalkStart"
    app.send("\r")
    assert app.expect_json(lambda e: e["event"] == "TalkEnd") == {"event": "TalkEnd", "how": "enter"}
    app.send("quit\r")
    app.expect_json(lambda e: e["event"] == "done")
    assert app.wait() == 0
    assert app.attrs() == app.initial_attrs


def test_ctrl_c_restores_the_terminal(app: PtyProcess) -> None:
    app.send(CTRL_C)
    assert app.wait() == -signal.SIGINT
    assert "KeyboardInterrupt" in app.text
    assert app.attrs() == app.initial_attrs


def test_an_exception_restores_the_terminal(app: PtyProcess) -> None:
    app.send("boom\r")
    assert app.wait() == 1
    assert "RuntimeError: boom" in app.text
    assert app.attrs() == app.initial_attrs


def test_a_crashed_task_restores_the_terminal(app: PtyProcess) -> None:
    app.send("crash\r")
    assert app.wait() == 1
    assert "RuntimeError: task crashed" in app.text
    assert app.attrs() == app.initial_attrs


def test_sigterm_restores_the_terminal_and_still_kills(app: PtyProcess) -> None:
    app.send("hang\r")
    app.expect_json(lambda e: e["event"] == "hanging")
    app.signal(signal.SIGTERM)
    assert app.wait() == -signal.SIGTERM
    assert app.attrs() == app.initial_attrs


def test_sigterm_through_the_event_loop_cancels_and_restores() -> None:
    with PtyProcess([sys.executable, str(APP), " ", "--sigterm-cancels"], cwd=ROOT) as term:
        term.expect_json(lambda e: e.get("event") == "ready")
        assert not cooked(term.attrs())
        term.send("hang\r")
        term.expect_json(lambda e: e["event"] == "hanging")
        term.signal(signal.SIGTERM)
        term.expect_json(lambda e: e["event"] == "cancelled")
        assert term.wait() == 0
        assert term.attrs() == term.initial_attrs
