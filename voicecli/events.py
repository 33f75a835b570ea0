"""Small immutable messages that flow between the parts of a conversation.

The audio engine, the Live connection, the tool runtime and the UI never call each other
directly; they exchange these. Audio itself travels as plain ``bytes`` (PCM16 little-endian,
mono): 16 kHz 20 ms frames of 640 bytes towards the service, 24 kHz chunks back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FRAME_RATE = 16_000
FRAME_SAMPLES = 320
FRAME_BYTES = FRAME_SAMPLES * 2
OUTPUT_RATE = 24_000


@dataclass(frozen=True)
class ActivityStart:
    """The user started speaking (local activity detection)."""


@dataclass(frozen=True)
class ActivityEnd:
    """The user stopped speaking (local activity detection)."""


@dataclass(frozen=True)
class Transcript:
    role: str  # "user" | "agent"
    text: str
    final: bool = False


@dataclass(frozen=True)
class ToolCallEvent:
    call_id: str
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolResultEvent:
    call_id: str
    name: str
    result: dict[str, Any]
    ok: bool
    seconds: float


@dataclass(frozen=True)
class Interrupted:
    heard_seconds: float


@dataclass(frozen=True)
class TurnComplete:
    turn: int


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    response_tokens: int
    total_tokens: int


@dataclass(frozen=True)
class ConnectionState:
    state: str  # "connecting" | "connected" | "reconnecting" | "closed"
    detail: str = ""
