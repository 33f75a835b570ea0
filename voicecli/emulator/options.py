"""Emulator settings, the endpoint routes it serves, and the models it knows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from voicecli.emulator.models import KNOWN_MODELS

_DEVELOPER = re.compile(
    r"^/ws/google\.ai\.generativelanguage\.(v\d+\w*)\.GenerativeService\."
    r"(BidiGenerateContent|BidiGenerateContentConstrained)$"
)
_VERTEX = re.compile(r"^/ws/google\.cloud\.aiplatform\.(v\d+\w*)\.LlmBidiService/BidiGenerateContent$")
_SLASHES = re.compile(r"/{2,}")


@dataclass
class EmulatorOptions:
    speed: float = 1.0  # 1.0 = real time, 0 = as fast as possible
    lifetime_s: float = 600.0  # connection lifetime; goAway comes go_away_lead_s before it
    go_away_lead_s: float = 60.0
    handle_ttl_s: float = 7200.0
    session_audio_limit_s: float = 900.0  # without context window compression
    valid_keys: frozenset[str] | None = None  # None: any non-empty key or bearer token
    models: frozenset[str] = KNOWN_MODELS
    # Follow field reports where they disagree with the documentation (docs/emulator.md, Models).
    field_reports: bool = False
    chunk_ms: int = 60
    resumption_updates: str = "legacy"  # "legacy": also after idle turns and resumable:false; "once"
    keep_records: bool = True
    synthesize: Callable[[str], bytes] | None = None  # text -> 24 kHz PCM16; default: voice.synthesize
    vad_factory: Callable[..., Any] | None = None  # ServerVad-like factory; default: vad.ServerVad
    # Recognise user audio (when voicecli[offline] is installed). Off: audio turns are not understood,
    # text turns are; tests that need no words turn it off, since recognition costs CPU.
    recognition: bool = True
    # (recognition or None, start-up line), as voicecli.speech.load_recognition gives them (its default).
    recognition_loader: Callable[[], tuple[Any, str]] | None = None
    # The emulator has its process to itself (the `voicecli emulator` command): it may tune the garbage
    # collector for serving (heap.GarbagePolicy). Embedded in another program, it leaves it alone.
    own_process: bool = False


@dataclass(frozen=True)
class Route:
    """What the upgrade request says: which backend, which version, which credentials."""

    vertex: bool
    api_version: str
    constrained: bool
    api_key: str | None
    bearer: str | None


def route_request(raw_path: str, headers: Any) -> Route | None:
    """Match a request path (any version, doubled slashes) and pick up its credentials."""
    parts = urlsplit(raw_path)
    path = _SLASHES.sub("/", parts.path)
    query = parse_qs(parts.query)
    authorization = str(headers.get("Authorization") or "")
    key = headers.get("x-goog-api-key") or next(iter(query.get("key", [])), None)
    token = next(iter(query.get("access_token", [])), None)
    bearer = authorization[7:].strip() if authorization.lower().startswith("bearer ") else None
    if authorization.lower().startswith("token "):
        token = authorization[6:].strip()
    developer = _DEVELOPER.match(path)
    if developer:
        constrained = developer.group(2).endswith("Constrained")
        return Route(False, developer.group(1), constrained, key or token, None)
    vertex = _VERTEX.match(path)
    if vertex:
        return Route(True, vertex.group(1), False, key, bearer)
    return None
