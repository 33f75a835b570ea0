"""Small immutable messages that flow between the parts of a conversation.

The audio engine, the Live connection, the tool runtime and the UI never call each other
directly; they exchange these. Audio itself travels as plain ``bytes`` (PCM16 little-endian,
mono): 16 kHz 20 ms frames of 640 bytes towards the service, 24 kHz chunks back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The audio format lives in voicecli.audio.format; these names stay importable from here for the
# modules that read them here. Importing it lazily keeps this module free of the audio package.
FRAME_RATE: int  # = audio.format.INPUT_RATE (declared for type checkers; resolved by __getattr__)
FRAME_SAMPLES: int
FRAME_BYTES: int
OUTPUT_RATE: int
_FORMAT_NAMES = {"FRAME_RATE": "INPUT_RATE", "FRAME_SAMPLES": "FRAME_SAMPLES", "FRAME_BYTES": "FRAME_BYTES",
                 "OUTPUT_RATE": "OUTPUT_RATE"}


def __getattr__(name: str) -> int:
    if name in _FORMAT_NAMES:
        from voicecli.audio import format as audio_format

        value: int = getattr(audio_format, _FORMAT_NAMES[name])
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    """The agent was cut off; ``heard_text`` is the part of its reply the user actually heard."""

    heard_seconds: float
    heard_text: str


@dataclass(frozen=True)
class TurnComplete:
    turn: int
    latency_s: float | None = None  # end of user speech -> first agent audio handed to the device


@dataclass(frozen=True)
class MicLevel:
    dbfs: float


@dataclass(frozen=True)
class UserActivity:
    speaking: bool


@dataclass(frozen=True)
class Notice:
    """Something the user should see that is not part of the transcript (e.g. a reconnect)."""

    text: str
    level: str = "info"  # "info" | "warning" | "error"


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    response_tokens: int
    total_tokens: int


@dataclass(frozen=True)
class ConnectionState:
    state: str  # "connecting" | "connected" | "resuming" | "reconnecting" | "closed"
    detail: str = ""


@dataclass(frozen=True)
class Handoff:
    """The conversation passes from one agent to another (a ``transfer_to_*`` call)."""

    from_agent: str
    to_agent: str
    reason: str  # the handoff's condition, as the persona states it


@dataclass(frozen=True)
class AgentChanged:
    """``name`` is the agent speaking from now on (first at the start, then after each handoff)."""

    name: str


@dataclass(frozen=True)
class Stall:
    """No server activity after a user turn or a tool response (docs/guards.md). ``stage`` is the
    recovery step taken (``nudge``, ``resume``, ``fresh_session``, ``gave_up``); ``recovered``: the
    model answered after that step."""

    stage: str
    recovered: bool


@dataclass(frozen=True)
class LanguageDrift:
    """A whole agent turn was in another language: ``expected`` the persona's tag, ``detected`` an ISO code."""

    expected: str
    detected: str


@dataclass(frozen=True)
class HeardNote:
    """The note told to the model after a barge-in: what the user actually heard of its reply."""

    text: str


# --- From the Live service (translated from SDK messages by voicecli.live.translate) ---


@dataclass(frozen=True)
class GroundingSource:
    title: str
    uri: str


@dataclass(frozen=True)
class Grounding:
    """Google Search grounded the agent's answer: the web pages it drew on and the queries it ran."""

    sources: tuple[GroundingSource, ...]
    queries: tuple[str, ...]


@dataclass(frozen=True)
class AgentAudio:
    pcm: bytes  # 24 kHz mono PCM16


@dataclass(frozen=True)
class GenerationComplete:
    pass


@dataclass(frozen=True)
class ServerInterrupted:
    """The service stopped its reply because the user spoke (barge-in)."""


@dataclass(frozen=True)
class ServerTurnComplete:
    pass


@dataclass(frozen=True)
class ToolCallsRequested:
    calls: tuple[ToolCallEvent, ...]


@dataclass(frozen=True)
class ToolCallsCancelled:
    call_ids: tuple[str, ...]


@dataclass(frozen=True)
class GoAwayNotice:
    time_left_s: float | None  # None when the service did not say


@dataclass(frozen=True)
class ReplyCut:
    """The connection dropped while the agent was replying; ``will_repeat``: the resumed session
    hears the user's turn again (it was replayed), so a fresh reply is on its way."""

    will_repeat: bool


@dataclass(frozen=True)
class ResumptionUpdate:
    handle: str | None
    resumable: bool
    last_consumed_index: int | None


# --- To the Live service (consumed by voicecli.live.connection) ---


@dataclass(frozen=True)
class SendAudio:
    pcm: bytes  # one 20 ms frame, 16 kHz mono PCM16


@dataclass(frozen=True)
class SendActivityStart:
    pass


@dataclass(frozen=True)
class SendActivityEnd:
    pass


@dataclass(frozen=True)
class SendAudioStreamEnd:
    pass


@dataclass(frozen=True)
class SendText:
    """Text for the model. A user turn by default: sent the way the model takes typed text mid-session
    (client content, or realtime text). ``turn_complete`` False: a note the model reads with the next
    turn and does not answer (always client content). ``resend`` False: never replayed after a
    reconnect (a note, a stall nudge: the client issues them again itself if they still matter)."""

    text: str
    turn_complete: bool = True
    resend: bool = True


@dataclass(frozen=True)
class ToolReply:
    call_id: str
    name: str
    response: dict[str, Any]
    scheduling: str | None = None  # "INTERRUPT" | "WHEN_IDLE" | "SILENT" for non-blocking calls


@dataclass(frozen=True)
class SendToolResponses:
    replies: tuple[ToolReply, ...]


Outgoing = SendAudio | SendActivityStart | SendActivityEnd | SendAudioStreamEnd | SendText | SendToolResponses
