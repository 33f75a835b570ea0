"""What was heard, told to the model: after a barge-in the user heard only part of the agent's reply.

voicecli knows how much of the reply was played (``agent.heard_part``); the model does not, and its
next answer may assume the user heard the rest. ``HeardNotes`` composes one compact note per
interruption, sent as client content with ``turn_complete`` false: the model reads it with the user's
next turn and does not answer it by itself. Only models that accept client content all session get it
(``client_content_mid_session`` in voicecli.live.models); elsewhere a mid-session client-content message
closes the session (1007 on 3.1). The wording is the bracketed form the Live emulator keeps as context
(``[The user heard only: "...". The rest was not heard ...]``, docs/emulator.md).

A note goes out at most once per interruption: ``note_for`` answers a given key once, whatever happens
after (a reconnect, a replay of the session's history, the same interruption reported again). The
connection must not replay it either (docs/guards.md says how a note is marked).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Cause = Literal["interrupted", "dropped"]

# The heard part is quoted up to this many characters (its end when longer: where the user stopped
# hearing is what matters); with the wording around it a note stays under MAX_NOTE_CHARS.
MAX_HEARD_CHARS = 200
MAX_NOTE_CHARS = 300

_CAUSES: dict[Cause, str] = {
    "interrupted": "they interrupted you",
    "dropped": "the connection dropped while you were speaking",
}


def accepts_notes(model: str) -> bool | None:
    """Whether ``model`` takes client content all session (None: a model the table does not know)."""
    from voicecli.live.models import capabilities

    row = capabilities(model)
    if row is None:
        return None
    return row.client_content_mid_session


def quote(heard: str, limit: int = MAX_HEARD_CHARS) -> str:
    """``heard`` on one line, double quotes made single, kept to ``limit`` characters (its end,
    from a word boundary, after an ellipsis)."""
    text = " ".join(heard.split()).replace('"', "'")
    if len(text) <= limit:
        return text
    tail = text[-(limit - 1):]
    if " " in tail and not text[-limit].isspace():
        tail = tail.split(" ", 1)[1]  # start at a whole word
    return "…" + tail


def note_text(heard: str, cause: Cause = "interrupted") -> str:
    """The note: ``[The user heard only: "…". The rest was not heard: they interrupted you.]``."""
    why = _CAUSES[cause]
    quoted = quote(heard)
    if not quoted:
        return f"[The user heard none of your last reply: {why}.]"
    return f'[The user heard only: "{quoted}". The rest was not heard: {why}.]'


@dataclass(frozen=True)
class HeardNote:
    key: int  # the interruption it is about (see HeardNotes.note_for)
    text: str


class HeardNotes:
    """Hands out the note for each interruption once; counts what it sent and what it held back."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled  # the option is on and the model takes client content all session
        self.sent = 0
        self.withheld = 0  # interruptions with no note: the model does not take one, or the option is off
        self._done: set[int] = set()

    def note_for(self, key: int, heard: str, cause: Cause = "interrupted") -> HeardNote | None:
        """The note to send for interruption ``key``, or None: disabled, or already handed out.

        ``key`` names the interruption for the whole conversation and survives reconnects: the number
        of the agent turn that was cut (``stats.turns + 1`` when it was cut).
        """
        if key in self._done:
            return None
        self._done.add(key)
        if not self.enabled:
            self.withheld += 1
            return None
        self.sent += 1
        return HeardNote(key, note_text(heard, cause))

    def summary(self) -> dict[str, int]:
        return {"heard_notes": self.sent, "heard_notes_withheld": self.withheld}
