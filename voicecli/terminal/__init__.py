"""Typed turns and push-to-talk in a live conversation: terminal mode, key reader, a pty test driver."""

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
from voicecli.terminal.mode import cbreak, is_terminal, restore_all
from voicecli.terminal.reader import KeyReader

__all__ = [
    "EndOfInput",
    "Interrupt",
    "KeyDecoder",
    "KeyEvent",
    "KeyReader",
    "LineEdited",
    "LineTyped",
    "TalkEnd",
    "TalkStart",
    "cbreak",
    "is_terminal",
    "restore_all",
]
