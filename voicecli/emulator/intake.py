"""Intake: each client frame is parsed and validated once, into a typed value.

Everything after the intake works on these values; the frame record reuses the parsed JSON. A frame
the service would refuse raises ``ProtocolError`` (the connection closes with its code and reason),
worded as the service words it.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voicecli.emulator import protocol as p

VAD_RATE = 16_000  # the rate a PCM blob is taken at when its MIME type names none
_RATE = re.compile(r"rate=(\d+)")
_MARKERS_WITH_AUTO_VAD = (
    "Request contains an invalid argument. activity_start and activity_end require automatic "
    "activity detection to be disabled."
)


@dataclass(slots=True)  # not frozen: built for every audio frame, and a frozen __init__ costs more
class AudioChunk:
    pcm: bytes  # PCM16 little-endian mono
    rate: int


@dataclass(frozen=True)
class ClientContent:
    """``clientContent``: history turns, and whether they complete a user turn."""

    user_texts: tuple[str, ...] = ()
    model_texts: tuple[str, ...] = ()
    turn_complete: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.user_texts)


@dataclass(slots=True)  # not frozen, as AudioChunk
class RealtimeInput:
    """``realtimeInput``: any of audio, video frames, text and activity markers (several may come at once)."""

    audio: tuple[AudioChunk, ...] = ()
    video_frames: int = 0
    text: str | None = None
    activity_start: bool = False
    activity_end: bool = False
    audio_stream_end: bool = False


@dataclass(frozen=True)
class FunctionResponse:
    id: str | None
    name: str
    response: Mapping[str, Any]
    scheduling: str = "WHEN_IDLE"  # SILENT | WHEN_IDLE | INTERRUPT

    def wire(self) -> dict[str, Any]:
        """As the brain takes it: ``{"id", "name", "response"}``."""
        return {"id": self.id, "name": self.name, "response": dict(self.response)}


@dataclass(frozen=True)
class ToolResponse:
    responses: tuple[FunctionResponse, ...] = ()


@dataclass(frozen=True)
class ContextUpdate:
    """Accepted; the emulator's brains do not change with it."""


ClientMessage = ClientContent | RealtimeInput | ToolResponse | ContextUpdate


@dataclass(frozen=True)
class Frame:
    """One client frame: what the record shows, and the message (None when the frame was refused)."""

    record: Any
    message: ClientMessage | None = None
    error: p.ProtocolError | None = None
    audio_only: bool = False  # a RealtimeInput holding exactly one audio chunk and nothing else


def read_json(raw: str | bytes) -> tuple[Any, dict[str, Any] | None, p.ProtocolError | None]:
    """(record, frame, error): the parsed frame, or what the record shows of one that does not parse."""
    try:
        frame = p.parse_frame(raw)
    except p.ProtocolError as error:
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        return {"unparsed": text}, None, error
    return frame, frame, None


def read_setup(raw: str | bytes, *, vertex: bool, known_models: frozenset[str], api_version: str,
               field_reports: bool) -> tuple[Any, p.SessionConfig | p.ProtocolError]:
    """The first frame: (record, its SessionConfig or the refusal)."""
    record, frame, error = read_json(raw)
    if frame is None:
        assert error is not None
        return record, error
    try:
        return record, p.parse_setup(frame, vertex=vertex, known_models=known_models, api_version=api_version,
                                     field_reports=field_reports)
    except p.ProtocolError as refused:
        return record, refused


_NOTE = re.compile(r"^\s*[\[(].*[\])]\s*$", re.DOTALL)


def is_note(text: str) -> bool:
    """User text in square brackets or parentheses, sent without completing a turn: a note for the model
    (such as what the user heard of a reply cut by a barge-in), kept as context and never answered."""
    return bool(_NOTE.match(text))


def text_record(message: ClientMessage | None) -> dict[str, Any] | None:
    """What a frame record says of the client text it carried (``text`` in docs/emulator.md, Records), or None.

    ``via`` is ``client_content`` or ``realtime_input``; a ``client_content`` summary says whether it
    completed the turn and whether its user text was taken as a note (context, never answered).
    """
    if isinstance(message, ClientContent) and (message.user_texts or message.model_texts):
        summary: dict[str, Any] = {"via": "client_content", "text": message.text,
                                   "turn_complete": message.turn_complete,
                                   "note": (not message.turn_complete and bool(message.user_texts)
                                            and is_note(message.text))}
        if message.model_texts:
            summary["model_text"] = " ".join(message.model_texts)
        return summary
    if isinstance(message, RealtimeInput) and message.text is not None:
        return {"via": "realtime_input", "text": message.text}
    return None


_AUDIO_KEYS = frozenset({"data", "mime_type"})


def audio_fast_path(value: Any) -> RealtimeInput | None:
    """The common case, a frame holding one audio blob and nothing else, read without normalising keys.

    Only the SDK's own spelling (``realtime_input.audio.{data, mime_type}``, already snake_case, so
    the record is the same as after normalising) takes it. Anything else (other fields, odd types, a
    bad MIME type or base64) returns None and takes the general path, which validates and words
    refusals as before.
    """
    if not isinstance(value, dict) or len(value) != 1:
        return None
    body = value.get("realtime_input")
    if not isinstance(body, dict) or len(body) != 1:
        return None
    blob = body.get("audio")
    if not isinstance(blob, dict) or blob.keys() != _AUDIO_KEYS:
        return None
    mime, data = blob["mime_type"], blob["data"]
    if not isinstance(mime, str) or not mime.startswith("audio/") or not isinstance(data, str):
        return None
    try:
        pcm = p.decode_b64(data, "realtime_input.audio.data")
    except p.ProtocolError:
        return None
    rate = VAD_RATE if mime == _PCM16K else _pcm_rate(mime)
    return RealtimeInput(audio=(AudioChunk(pcm, rate),))


_PCM16K = "audio/pcm;rate=16000"

# The bytes google-genai sends for one audio blob (``json.dumps`` of ``{"realtime_input": {"audio": ...}}``):
# matched as bytes, so the commonest frame costs no JSON parse and no dict.
_SDK_HEAD = b'{"realtime_input": {"audio": {"data": "'
_SDK_TAIL = b'", "mime_type": "'
_SDK_END = b'"}}}'
_URLSAFE_BYTES = bytes.maketrans(b"-_", b"+/")


@dataclass(slots=True)
class AudioFrame:
    """A frame holding one audio blob and nothing else (the fast path): the audio, and the frame as sent."""

    chunk: AudioChunk
    raw: bytes

    @property
    def record(self) -> Any:
        """What the frame record shows: the parsed JSON as sent (built only when records are kept)."""
        return json.loads(self.raw)


def read_audio_frame(raw: bytes) -> AudioFrame | None:
    """A frame holding one audio blob (the fast path), or None for anything else, left to ``read_frame``."""
    chunk = _sdk_audio(raw)
    if chunk is None:
        try:
            value = json.loads(raw)
        except ValueError:  # JSON or UTF-8 errors: read_frame words the refusal
            return None
        fast = audio_fast_path(value)
        if fast is None:
            return None
        chunk = fast.audio[0]
    return AudioFrame(chunk, raw)


def _sdk_audio(raw: bytes) -> AudioChunk | None:
    """The audio of a frame exactly as google-genai writes one audio blob, or None (then JSON decides).

    The base64 text ends at the first quote; after it only the MIME type may follow. A MIME type
    or payload with anything JSON would escape, or base64 that does not decode, returns None.
    """
    if not raw.startswith(_SDK_HEAD) or not raw.endswith(_SDK_END):
        return None
    quote = raw.find(b'"', len(_SDK_HEAD))
    if raw.find(_SDK_TAIL, quote) != quote:
        return None
    mime_bytes = raw[quote + len(_SDK_TAIL):-len(_SDK_END)]
    if b'"' in mime_bytes or b"\\" in mime_bytes or not mime_bytes.startswith(b"audio/") or not mime_bytes.isascii():
        return None
    mime = mime_bytes.decode("ascii")
    if not mime.isprintable():  # control characters: JSON's rules apply
        return None
    data = raw[len(_SDK_HEAD):quote].translate(_URLSAFE_BYTES)
    if len(data) % 4:
        data += b"=" * (-len(data) % 4)
    try:
        pcm = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    return AudioChunk(pcm, VAD_RATE if mime == _PCM16K else _pcm_rate(mime))


def read_frame(raw: str | bytes, *, vertex: bool, manual_activity: bool) -> Frame:
    """A frame after setup. ``manual_activity``: automatic activity detection is off for this session.

    The JSON is parsed once; a plain audio frame skips key normalisation and field checks (it has
    none to fail), and its record is the parsed JSON as sent.
    """
    try:
        value = p.load_json(raw)
    except p.ProtocolError as error:
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        return Frame({"unparsed": text}, error=error)
    fast = audio_fast_path(value)
    if fast is not None:
        return Frame(value, fast, audio_only=True)
    frame = p.normalise_keys(value)
    try:
        return Frame(frame, _message(frame, vertex=vertex, manual_activity=manual_activity))
    except p.ProtocolError as refused:
        return Frame(frame, error=refused)


def _message(frame: dict[str, Any], *, vertex: bool, manual_activity: bool) -> ClientMessage:
    p.check_fields(frame, p.CLIENT_MESSAGE_FIELDS, "")
    if len(frame) != 1:
        raise p.ProtocolError(p.CLOSE_INVALID, f"{p.REASON_INVALID_ARGUMENT} One message per frame.")
    if "client_content" in frame:
        return _client_content(p.check_fields(frame["client_content"], p.CLIENT_CONTENT_FIELDS, "client_content"))
    if "realtime_input" in frame:
        body = p.check_fields(frame["realtime_input"], p.REALTIME_FIELDS, "realtime_input")
        return _realtime_input(body, manual_activity=manual_activity)
    if "tool_response" in frame:
        body = p.check_fields(frame["tool_response"], frozenset({"function_responses"}), "tool_response")
        return _tool_response(body, vertex=vertex)
    return ContextUpdate()


def _client_content(content: dict[str, Any]) -> ClientContent:
    turns = content.get("turns") or []
    if not isinstance(turns, list):
        raise p.ProtocolError(p.CLOSE_INVALID, "Invalid value at 'client_content.turns'")
    user: list[str] = []
    model: list[str] = []
    for turn in turns:
        if not isinstance(turn, dict) or not isinstance(turn.get("parts", []), list):
            raise p.ProtocolError(p.CLOSE_INVALID, "Invalid value at 'client_content.turns'")
        for part in turn.get("parts", []):
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                (user if turn.get("role", "user") == "user" else model).append(part["text"])
            elif isinstance(part, dict) and "inline_data" in part:
                blob = part["inline_data"] or {}
                p.decode_b64(blob.get("data", ""), "client_content.turns.parts.inline_data.data")
    return ClientContent(tuple(user), tuple(model), bool(content.get("turn_complete", False)))


def _pcm_rate(mime: str) -> int:
    found = _RATE.search(mime)
    return int(found.group(1)) if found else VAD_RATE


def _realtime_input(realtime: dict[str, Any], *, manual_activity: bool) -> RealtimeInput:
    markers = "activity_start" in realtime or "activity_end" in realtime
    if markers and not manual_activity:
        raise p.ProtocolError(p.CLOSE_INVALID, _MARKERS_WITH_AUTO_VAD)
    blobs = []
    if "audio" in realtime:
        blobs.append((realtime["audio"], "realtime_input.audio"))
    chunks = realtime.get("media_chunks") or []
    if chunks:  # deprecated field: only the first chunk counts
        blobs.append((chunks[0], "realtime_input.media_chunks"))
    audio: list[AudioChunk] = []
    for blob, where in blobs:
        if not isinstance(blob, dict):
            raise p.ProtocolError(p.CLOSE_INVALID, f"Invalid value at '{where}'")
        mime = str(blob.get("mime_type", ""))
        data = p.decode_b64(blob.get("data", ""), f"{where}.data")
        if mime.startswith("audio/"):
            audio.append(AudioChunk(data, _pcm_rate(mime)))
    text = realtime.get("text")
    return RealtimeInput(
        audio=tuple(audio),
        video_frames=1 if "video" in realtime else 0,
        text=text if isinstance(text, str) else None,
        activity_start="activity_start" in realtime,
        activity_end="activity_end" in realtime,
        audio_stream_end=bool(realtime.get("audio_stream_end")),
    )


def _tool_response(body: dict[str, Any], *, vertex: bool) -> ToolResponse:
    responses = body.get("function_responses") or []
    if not isinstance(responses, list):
        raise p.ProtocolError(p.CLOSE_INVALID, "Invalid value at 'tool_response.function_responses'")
    read: list[FunctionResponse] = []
    for raw in responses:
        answer = p.check_fields(raw, p.FUNCTION_RESPONSE_FIELDS, "tool_response.function_responses")
        call_id = answer.get("id")
        if not call_id and not vertex:
            raise p.ProtocolError(p.CLOSE_INVALID, f"{p.REASON_INVALID_ARGUMENT} function_responses.id")
        result = answer.get("response") or {}
        if not isinstance(result, dict):
            raise p.ProtocolError(p.CLOSE_INVALID, "Invalid value at 'function_responses.response'")
        scheduling = str(answer.get("scheduling") or result.get("scheduling") or "WHEN_IDLE").upper()
        if scheduling not in p.SCHEDULING:
            raise p.ProtocolError(p.CLOSE_INVALID, "Invalid value at 'function_responses.scheduling'")
        read.append(FunctionResponse(str(call_id) if call_id else None, str(answer.get("name") or ""), result,
                                     scheduling))
    return ToolResponse(tuple(read))
