"""Session state that outlives a connection, and the handle store used to resume it."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

AUDIO_TOKENS_PER_S = 25.0
IMAGE_TOKENS = 258  # one video frame at the default media resolution


def text_tokens(text: str) -> int:
    """About four characters a token, as the service counts English text."""
    return max(1, len(text) // 4)


@dataclass
class PendingCall:
    """A function call sent and not answered yet; ``group`` is the reply that made it (the brain's)."""

    call_id: str
    name: str
    blocking: bool
    group: object
    answer: Any = None  # a blocking call's response (intake.FunctionResponse), kept until its group completes


@dataclass
class HistoryEntry:
    role: str  # "user" | "model" | "tool"
    tokens: int
    audio_s: float = 0.0
    modality: str = "TEXT"  # TEXT | AUDIO | IMAGE, as usageMetadata names them


@dataclass
class Session:
    """Everything a resumed connection gets back: history, VAD clock, pending calls, the brain's state."""

    session_id: str
    vertex: bool
    model_id: str
    history: list[HistoryEntry] = field(default_factory=list)
    audio_s: float = 0.0  # user + model audio in the session, for the length limit
    vad_clock_s: float = 0.0
    pending: dict[str, PendingCall] = field(default_factory=dict)
    brain: Any = None  # the agent side (a Brain); a resumed connection builds a new one from this one's state
    trimmed_tokens: int = 0
    connection: object | None = None  # the open connection serving it, if any
    call_counter: int = 0
    call_prefix: str = ""  # stable across resumes, so a re-issued call keeps its id
    stalled: Any = None  # work a stall fault held back (engine.Stalled), answered on the client's nudge

    def __post_init__(self) -> None:
        self.call_prefix = self.call_prefix or self.session_id[:8]

    @property
    def context_tokens(self) -> int:
        return sum(entry.tokens for entry in self.history)

    def context_by_modality(self) -> dict[str, int]:
        """Prompt tokens per modality, for ``usageMetadata.promptTokensDetails``."""
        counts: dict[str, int] = {}
        for entry in self.history:
            counts[entry.modality] = counts.get(entry.modality, 0) + entry.tokens
        return counts

    def add(self, role: str, tokens: int, audio_s: float = 0.0, modality: str = "TEXT") -> None:
        self.history.append(HistoryEntry(role, max(0, tokens), audio_s, modality))
        self.audio_s += audio_s

    def compress(self, trigger: int, target: int) -> int:
        """Sliding window: once over ``trigger``, drop the oldest turns, cutting at a user turn.

        Returns how many tokens were dropped.
        """
        if self.context_tokens <= trigger:
            return 0
        dropped = 0
        while self.history and self.context_tokens > target:
            dropped += self.history.pop(0).tokens
            # Keep cutting until the window starts at a user turn.
            while self.history and self.history[0].role != "user":
                dropped += self.history.pop(0).tokens
        self.trimmed_tokens += dropped
        return dropped

    def new_call_id(self) -> str:
        self.call_counter += 1
        return f"call-{self.call_prefix}-{self.call_counter}"

    def snapshot(self) -> SessionState:
        """The conversation's progress now, for a handle that names this moment."""
        return SessionState(list(self.history), self.audio_s,
                            {key: replace(call) for key, call in self.pending.items()},
                            self.brain.state() if self.brain is not None else None, self.trimmed_tokens,
                            self.call_counter)

    def restore(self, state: SessionState) -> None:
        """Go back to a snapshot. The VAD clock keeps counting: it measures the session's audio.

        The brain's part (``state.brain_state``) is for the new brain the resumed connection builds.
        """
        self.history = list(state.history)
        self.stalled = None  # a snapshot names an idle moment, before anything was held back
        self.audio_s = state.audio_s
        self.pending = {key: replace(call) for key, call in state.pending.items()}
        self.trimmed_tokens = state.trimmed_tokens
        self.call_counter = state.call_counter


@dataclass(frozen=True)
class SessionState:
    history: list[HistoryEntry]
    audio_s: float
    pending: dict[str, PendingCall]
    brain_state: Any
    trimmed_tokens: int
    call_counter: int


class SessionStore:
    """Handles name a session (or a snapshot of it); each stays valid for ``ttl_s`` after issue.

    A handle issued with ``snapshot=True`` resumes the session as it was at that moment, which
    is what ``resumable: false`` while generating implies: only idle points are safe to resume.
    Without it the handle names the session and resumes its latest state.
    """

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._handles: dict[str, tuple[Session, float, SessionState | None]] = {}

    def create(self, *, vertex: bool, model_id: str) -> Session:
        return Session(session_id=secrets.token_hex(16), vertex=vertex, model_id=model_id)

    def issue_handle(self, session: Session, *, snapshot: bool = False) -> str:
        handle = secrets.token_hex(18)  # 36 characters, like the real service's handles
        self._handles[handle] = (session, self._clock() + self.ttl_s, session.snapshot() if snapshot else None)
        self._expire()
        return handle

    def find(self, handle: str) -> tuple[Session, SessionState | None] | None:
        """The session a handle names, and the snapshot to restore (None: its latest state)."""
        self._expire()
        found = self._handles.get(handle)
        return (found[0], found[2]) if found else None

    def _expire(self) -> None:
        now = self._clock()
        for handle in [h for h, (_, expires, _) in self._handles.items() if expires <= now]:
            del self._handles[handle]
