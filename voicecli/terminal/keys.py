"""Keys -> typed lines and push-to-talk turns. Pure: bytes and a clock in, events out.

Typing: printable keys build a line, Backspace deletes a character, Ctrl-U the line, Ctrl-W a word,
Enter sends it (an empty line is not sent). Arrow and function keys are swallowed.

Push-to-talk: the talk key (space by default) starts the user's turn when the line is empty (so a space
inside a typed line is just a space); the talk key again, or Enter, ends it. Terminals report key
presses but never releases, so holding the key is recognised from the keyboard's auto-repeat: a second
press within ``repeat_window`` of the first means the key is held, and the turn then ends
``release_gap`` after the repeats stop. Both habits work without a setting: tap to start and tap to
stop, or hold while speaking and let go. After a turn ends, the key is ignored until it has been quiet
for ``release_gap``, so the repeats of a key held to stop a turn do not start the next one. Keys other
than the talk key and Enter are ignored while talking.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Literal

# X11's default auto-repeat starts after 660 ms, macOS's after 225-2000 ms; repeats then come every
# 30-100 ms. A second press this soon after the first is taken as auto-repeat (or a quick double tap,
# which ends the turn the same way).
REPEAT_WINDOW = 0.7
RELEASE_GAP = 0.25

ENTER = ("\r", "\n")
BACKSPACE = ("\x7f", "\x08")
CTRL_C, CTRL_D, CTRL_U, CTRL_W, ESC = "\x03", "\x04", "\x15", "\x17", "\x1b"


@dataclass(frozen=True)
class LineTyped:
    """Enter was pressed on a non-empty line: send it as a text turn."""

    text: str


@dataclass(frozen=True)
class LineEdited:
    """The line being typed changed: show it."""

    text: str


@dataclass(frozen=True)
class TalkStart:
    """The user's turn starts: send activity start, then the microphone's audio."""


@dataclass(frozen=True)
class TalkEnd:
    """The user's turn ends: send activity end; no audio until the next TalkStart."""

    how: Literal["key", "enter", "release", "closed"]


@dataclass(frozen=True)
class EndOfInput:
    """Ctrl-D on an empty line, or the input closed: no more keys will come."""


@dataclass(frozen=True)
class Interrupt:
    """Ctrl-C arrived as a key (only when the terminal is in raw mode; in cbreak it is SIGINT)."""


KeyEvent = LineTyped | LineEdited | TalkStart | TalkEnd | EndOfInput | Interrupt


class KeyDecoder:
    """Feed it bytes with the time they arrived; it returns the events they make."""

    def __init__(
        self,
        talk_key: str | None = " ",
        *,
        repeat_window: float = REPEAT_WINDOW,
        release_gap: float = RELEASE_GAP,
    ) -> None:
        if talk_key is not None and len(talk_key) != 1:
            raise ValueError("the talk key is one character")
        if talk_key is not None and talk_key in (*ENTER, *BACKSPACE, CTRL_C, CTRL_D, ESC):
            raise ValueError(f"{talk_key!r} is already used for editing; choose another talk key")
        self.talk_key = talk_key
        self.repeat_window = repeat_window
        self.release_gap = release_gap
        self.partial = ""
        self._state: Literal["idle", "talking", "holding"] = "idle"
        self._last_press = 0.0
        self._quiet_until = 0.0
        self._escape = ""  # an escape sequence being swallowed
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")

    @property
    def talking(self) -> bool:
        return self._state != "idle"

    def deadline(self) -> float | None:
        """When ``poll`` next has something to do (a held key's turn may end), if ever."""
        return self._last_press + self.release_gap if self._state == "holding" else None

    def poll(self, now: float) -> list[KeyEvent]:
        """Events due by ``now`` without a key: a held talk key's turn ends when its repeats stop."""
        if self._state == "holding" and now - self._last_press > self.release_gap:
            return [self._end(now, "release")]
        return []

    def close(self, now: float) -> list[KeyEvent]:
        """The input ended: close an open turn, then EndOfInput."""
        events: list[KeyEvent] = [self._end(now, "closed")] if self.talking else []
        return [*events, EndOfInput()]

    def feed(self, data: bytes, now: float) -> list[KeyEvent]:
        events = self.poll(now)
        for char in self._utf8.decode(data):
            events.extend(self._key(char, now))
        return events

    def _end(self, now: float, how: Literal["key", "enter", "release", "closed"]) -> TalkEnd:
        self._state = "idle"
        self._quiet_until = now + self.release_gap
        return TalkEnd(how)

    def _talk_key(self, now: float) -> list[KeyEvent]:
        if self._state == "idle":
            if now < self._quiet_until:  # repeats of the key that just ended a turn
                self._quiet_until = now + self.release_gap
                return []
            self._state, self._last_press = "talking", now
            return [TalkStart()]
        if self._state == "talking" and now - self._last_press > self.repeat_window:
            return [self._end(now, "key")]
        self._state, self._last_press = "holding", now
        return []

    def _key(self, char: str, now: float) -> list[KeyEvent]:
        if self._escape:
            return self._escape_key(char)
        if char == ESC:
            self._escape = ESC
            return []
        if char == CTRL_C:
            return [Interrupt()]
        if char == self.talk_key and (self.partial == "" or not char.isprintable()):
            return self._talk_key(now)
        if self.talking:
            return [self._end(now, "enter")] if char in ENTER else []
        return self._edit(char)

    def _edit(self, char: str) -> list[KeyEvent]:
        before = self.partial
        if char in ENTER:
            if not before.strip():
                return []
            self.partial = ""
            return [LineTyped(before.strip())]
        if char == CTRL_D:
            return [EndOfInput()] if before == "" else []
        if char in BACKSPACE:
            self.partial = before[:-1]
        elif char == CTRL_U:
            self.partial = ""
        elif char == CTRL_W:
            stripped = before.rstrip()
            self.partial = stripped[: stripped.rfind(" ") + 1]
        elif char == "\t":
            self.partial = before + " "
        elif char.isprintable():
            self.partial = before + char
        return [LineEdited(self.partial)] if self.partial != before else []

    def _escape_key(self, char: str) -> list[KeyEvent]:
        # ESC [ params final (CSI), ESC O x (SS3), or ESC x (Alt+x): swallowed whole.
        self._escape += char
        sequence = self._escape
        if len(sequence) == 2 and char not in "[O":
            self._escape = ""
            return [] if char != ESC else self._key(ESC, 0.0)
        if len(sequence) >= 3 and (sequence[1] == "O" or "\x40" <= char <= "\x7e"):
            self._escape = ""
        return []
