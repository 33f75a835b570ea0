"""Session state that outlives a connection, and the handle store used to resume it."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from voicecli.emulator.scenario import Step

AUDIO_TOKENS_PER_S = 25.0


@dataclass
class PendingCall:
    call_id: str
    name: str
    blocking: bool
    step: Step


@dataclass
class HistoryEntry:
    role: str  # "user" | "model" | "tool"
    tokens: int
    audio_s: float = 0.0


@dataclass
class Session:
    """Everything a resumed connection gets back: history, VAD clock, pending calls, progress."""

    session_id: str
    vertex: bool
    model_id: str
    history: list[HistoryEntry] = field(default_factory=list)
    audio_s: float = 0.0  # user + model audio in the session, for the length limit
    vad_clock_s: float = 0.0
    next_step: int = 0
    opened: bool = False  # a first turn has happened (the opening step no longer applies)
    pending: dict[str, PendingCall] = field(default_factory=dict)
    tool_results: dict[str, Any] = field(default_factory=dict)
    trimmed_tokens: int = 0
    connection: object | None = None  # the open connection serving it, if any
    call_counter: int = 0

    @property
    def context_tokens(self) -> int:
        return sum(entry.tokens for entry in self.history)

    def add(self, role: str, tokens: int, audio_s: float = 0.0) -> None:
        self.history.append(HistoryEntry(role, max(0, tokens), audio_s))
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
        return f"call-{self.session_id[:8]}-{self.call_counter}"


class SessionStore:
    """Handles name a session; each one stays valid for ``ttl_s`` after it was issued."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._handles: dict[str, tuple[Session, float]] = {}

    def create(self, *, vertex: bool, model_id: str) -> Session:
        return Session(session_id=secrets.token_hex(16), vertex=vertex, model_id=model_id)

    def issue_handle(self, session: Session) -> str:
        handle = secrets.token_hex(18)  # 36 characters, like the real service's handles
        self._handles[handle] = (session, self._clock() + self.ttl_s)
        self._expire()
        return handle

    def find(self, handle: str) -> Session | None:
        self._expire()
        found = self._handles.get(handle)
        return found[0] if found else None

    def _expire(self) -> None:
        now = self._clock()
        for handle in [h for h, (_, expires) in self._handles.items() if expires <= now]:
            del self._handles[handle]
