"""Helpers for driving the emulator with the real google-genai SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from google import genai
from google.genai import types

from voicecli.emulator import Emulator
from voicecli.live.backends import static_token

MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
VERTEX_MODEL = "gemini-live-2.5-flash-native-audio"
LAURA = Path(__file__).resolve().parents[2] / "personas" / "laura.scenario.yaml"


def client_for(emu: Emulator, backend: str = "developer", key: str = "test-key") -> genai.Client:
    options = types.HttpOptions(base_url=emu.base_url, async_client_args={"ssl": emu.client_ssl_context()})
    if backend == "developer":
        return genai.Client(api_key=key, http_options=options)
    if backend == "vertex-express":
        return genai.Client(vertexai=True, api_key=key, http_options=options)
    return genai.Client(vertexai=True, project="demo-project", location="us-central1",
                        credentials=static_token(key), http_options=options)


def model_for(backend: str) -> str:
    return MODEL if backend == "developer" else VERTEX_MODEL


@dataclass
class Turn:
    """Everything received up to and including one turnComplete."""

    messages: list[types.LiveServerMessage] = field(default_factory=list)

    @property
    def audio(self) -> bytes:
        return b"".join(m.data or b"" for m in self.messages if m.server_content)

    @property
    def transcript(self) -> str:
        return "".join(m.server_content.output_transcription.text or ""
                       for m in self.messages
                       if m.server_content and m.server_content.output_transcription)

    @property
    def input_transcript(self) -> str:
        return "".join(m.server_content.input_transcription.text or ""
                       for m in self.messages
                       if m.server_content and m.server_content.input_transcription)

    @property
    def tool_calls(self) -> list[types.FunctionCall]:
        return [call for m in self.messages if m.tool_call for call in m.tool_call.function_calls or []]

    def flag(self, name: str) -> bool:
        return any(getattr(m.server_content, name, None) for m in self.messages if m.server_content)

    @property
    def usage(self) -> types.UsageMetadata | None:
        found = [m.usage_metadata for m in self.messages if m.usage_metadata]
        return found[-1] if found else None

    @property
    def updates(self) -> list[types.LiveServerSessionResumptionUpdate]:
        return [m.session_resumption_update for m in self.messages if m.session_resumption_update]


async def receive_turn(session: Any, until: Callable[[types.LiveServerMessage], bool] | None = None) -> Turn:
    """Read until turnComplete (or ``until``), across tool calls."""
    turn = Turn()
    async for message in session.receive():
        turn.messages.append(message)
        if until is not None and until(message):
            return turn
    return turn


@pytest.fixture
def make_emulator(tmp_path: Path) -> Callable[..., Any]:
    @asynccontextmanager
    async def start(**options: Any) -> AsyncIterator[Emulator]:
        options.setdefault("speed", 0)
        async with Emulator(ca_dir=tmp_path / "ca", **options) as emu:
            yield emu

    return start
