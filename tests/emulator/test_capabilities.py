"""What a model's table row says it does not take is refused with 1007, through the real SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from google.genai import errors, types

from .conftest import client_for, receive_turn

SEARCH = [types.Tool(google_search=types.GoogleSearch())]
TEXT_OUT = {"response_modalities": [types.Modality.TEXT]}


async def _connect(emu: Any, backend: str, model: str, config: types.LiveConnectConfig) -> None:
    async with client_for(emu, backend).aio.live.connect(model=model, config=config) as session:
        await session.send_client_content(turns=types.Content(role="user", parts=[types.Part(text="Hello")]))
        await receive_turn(session)


@pytest.mark.parametrize(
    ("backend", "model", "fields", "words"),
    [
        ("developer", "gemini-3.8-live-extended-thinking",
         {"thinking_config": types.ThinkingConfig(thinking_level=types.ThinkingLevel.MINIMAL)},
         "thinking_level MINIMAL"),
        ("developer", "gemini-3.5-transcribe-live", {**TEXT_OUT, "tools": SEARCH}, "Google Search"),
    ],
    ids=["thinking-level", "google-search"],
)
async def test_what_the_model_does_not_take_is_refused(make_emulator: Callable[..., Any], backend: str, model: str,
                                                        fields: dict[str, Any], words: str) -> None:
    async with make_emulator(recognition=False) as emu:
        with pytest.raises(errors.APIError) as caught:
            await _connect(emu, backend, model, types.LiveConnectConfig(**fields))
    assert caught.value.code == 1007
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("backend", "model", "fields"),
    [
        ("developer", "gemini-3.8-live-extended-thinking",
         {"thinking_config": types.ThinkingConfig(thinking_level=types.ThinkingLevel.HIGH)}),
        ("developer", "gemini-3.1-flash-live-preview",
         {"thinking_config": types.ThinkingConfig(thinking_level=types.ThinkingLevel.MINIMAL)}),
        ("vertex", "gemini-3.8-live", {"media_resolution": types.MediaResolution.MEDIA_RESOLUTION_LOW}),
        # A Vertex addition on 3.8, accepted on the Developer API too (pipecat sends it by default).
        ("developer", "gemini-3.8-live", {"media_resolution": types.MediaResolution.MEDIA_RESOLUTION_LOW}),
        ("developer", "gemini-3.8-live", {"tools": SEARCH}),
    ],
    ids=["thinking-level", "thinking-minimal", "media-resolution-vertex", "media-resolution-developer",
         "google-search"],
)
async def test_the_same_settings_are_accepted_where_the_model_takes_them(
        make_emulator: Callable[..., Any], backend: str, model: str, fields: dict[str, Any]) -> None:
    async with make_emulator(recognition=False) as emu:
        await _connect(emu, backend, model, types.LiveConnectConfig(**fields))


def _typed(words: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=words)])


@pytest.mark.parametrize("field_reports", [True, False])
async def test_flash_31_refuses_client_content_after_its_first_turn_only_per_field_reports(
        make_emulator: Callable[..., Any], field_reports: bool) -> None:
    config = types.LiveConnectConfig(output_audio_transcription=types.AudioTranscriptionConfig())
    async with (make_emulator(recognition=False, field_reports=field_reports) as emu,
                client_for(emu).aio.live.connect(model="gemini-3.1-flash-live-preview", config=config) as session):
        await session.send_client_content(turns=_typed("Hello"))  # before any model turn: accepted
        await receive_turn(session)
        await session.send_realtime_input(text="My favourite colour is green.")  # always accepted
        assert (await receive_turn(session)).transcript == "Got it: your favourite colour is green."
        await session.send_client_content(turns=_typed("What is my favourite colour?"))
        if field_reports:
            with pytest.raises(errors.APIError) as caught:
                await receive_turn(session)
            assert caught.value.code == 1007
        else:
            assert "green" in (await receive_turn(session)).transcript


async def test_models_with_mid_session_client_content_take_it_with_field_reports(
        make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(output_audio_transcription=types.AudioTranscriptionConfig())
    async with (make_emulator(recognition=False, field_reports=True) as emu,
                client_for(emu).aio.live.connect(model="gemini-3.8-live", config=config) as session):
        await session.send_client_content(turns=_typed("Hello"))
        await receive_turn(session)
        await session.send_client_content(turns=_typed("My favourite colour is green."))
        assert (await receive_turn(session)).transcript == "Got it: your favourite colour is green."
