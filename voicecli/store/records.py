"""What the session log gives back: plain frozen records, easy to render or dump as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Role = Literal["user", "agent"]
ToolStatus = Literal["running", "done", "cancelled", "error", "timeout"]


@dataclass(frozen=True)
class TranscriptEntry:
    seq: int
    at: float
    turn: int
    role: str
    text: str
    interrupted: bool = False
    heard_text: str | None = None
    agent: str | None = None  # the agent speaking (or spoken to); None in logs from before handoffs
    type: Literal["transcript"] = "transcript"


@dataclass(frozen=True)
class ToolCallEntry:
    seq: int
    at: float
    call_id: str
    name: str
    args: dict[str, Any]
    response: dict[str, Any] | None
    ok: bool
    seconds: float
    status: str
    agent: str | None = None  # the agent that asked for the call
    type: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True)
class UsageEntry:
    """One turn's usage: the latest report of that turn (``turn`` is None in older logs)."""

    seq: int
    at: float
    prompt_tokens: int
    response_tokens: int
    total_tokens: int
    turn: int | None = None
    agent: str | None = None
    type: Literal["usage"] = "usage"


@dataclass(frozen=True)
class EventEntry:
    """Anything else worth replaying: reconnects, goAway, errors, interruptions."""

    seq: int
    at: float
    kind: str
    detail: dict[str, Any]
    agent: str | None = None
    type: Literal["event"] = "event"


LogEntry = TranscriptEntry | ToolCallEntry | UsageEntry | EventEntry


@dataclass(frozen=True)
class SessionSummary:
    """One line of ``voicecli logs``. ``tokens`` sums the usage rows, one per turn (docs/logs.md)."""

    id: str
    persona: str
    backend: str
    model: str
    started_at: float
    ended_at: float | None
    outcome: str | None
    turns: int
    tools: int
    tokens: int
    reconnects: int

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else max(0.0, self.ended_at - self.started_at)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "duration": self.duration}


@dataclass(frozen=True)
class SessionRecord:
    """A whole session, its entries in the order they happened (for ``voicecli logs show``)."""

    summary: SessionSummary
    meta: dict[str, Any]
    result: dict[str, Any] | None
    entries: list[LogEntry] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.summary.id

    def to_dict(self) -> dict[str, Any]:
        return {
            "session": {**self.summary.to_dict(), "meta": self.meta, "summary": self.result},
            "entries": [asdict(entry) for entry in self.entries],
        }
