"""Persona + talk settings -> the ``LiveConnectConfig`` sent in the setup frame. Pure and tested.

Everything the service needs to behave is explicit here: the system instruction, tool
declarations, the speech and transcription languages, context window compression, activity
detection and session resumption.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from google.genai import types

from voicecli.live.models import adjust_declarations
from voicecli.persona.instructions import compile_instructions, function_declarations

if TYPE_CHECKING:
    from voicecli.persona import Persona

Backend = Literal["developer", "vertex"]
VadMode = Literal["server", "local"]

DEFAULT_MODELS: dict[str, str] = {
    "developer": "gemini-3.8-live",
    "vertex": "gemini-3.8-live",
}
# Audio costs about 25 tokens a second. The trigger leaves room below a 32k context window (the
# smallest Live models have) and the sliding window keeps half of it, so compression never has to
# discard the turn in progress.
DEFAULT_TRIGGER_TOKENS = 25_600
DEFAULT_TARGET_TOKENS = 12_800


@dataclass(frozen=True)
class TalkSettings:
    """What the user chose on the command line, over the persona's own defaults."""

    backend: Backend = "developer"
    model: str | None = None
    vad: VadMode | None = None
    voice: str | None = None
    trigger_tokens: int | None = None
    target_tokens: int | None = None
    resumption_handle: str | None = None
    extra_context: str | None = None  # e.g. a summary of an earlier session that could not be resumed


def model_for(persona: Persona, settings: TalkSettings) -> str:
    return settings.model or persona.session.model or DEFAULT_MODELS[settings.backend]


def vad_mode(persona: Persona, settings: TalkSettings) -> VadMode:
    return settings.vad or persona.session.vad


def trigger_for(persona: Persona, settings: TalkSettings) -> int:
    """Tokens at which the service compresses the context window."""
    return settings.trigger_tokens or persona.session.compression.trigger_tokens or DEFAULT_TRIGGER_TOKENS


def build_live_config(persona: Persona, settings: TalkSettings) -> types.LiveConnectConfig:
    language = persona.persona.language
    voice = settings.voice or persona.persona.voice
    instruction = compile_instructions(persona)
    if settings.extra_context:
        instruction = f"{instruction}\n\n{settings.extra_context}"

    speech = types.SpeechConfig(
        language_code=language,
        voice_config=(
            types.VoiceConfig(prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name=voice))
            if voice
            else None
        ),
    )
    trigger = trigger_for(persona, settings)
    target = settings.target_tokens or persona.session.compression.target_tokens or min(
        DEFAULT_TARGET_TOKENS, trigger // 2
    )
    declarations = [types.FunctionDeclaration.model_validate(d) for d in _declarations(persona, settings)[0]]

    return types.LiveConnectConfig(
        response_modalities=[types.Modality.AUDIO],
        system_instruction=types.Content(role="user", parts=[types.Part(text=instruction)]),
        tools=[types.Tool(function_declarations=declarations)] if declarations else None,
        speech_config=speech,
        input_audio_transcription=types.AudioTranscriptionConfig(
            language_codes=list(persona.session.input_transcription_languages) or None
        ),
        output_audio_transcription=types.AudioTranscriptionConfig(
            language_codes=list(persona.session.output_transcription_languages) or None
        ),
        context_window_compression=types.ContextWindowCompressionConfig(
            trigger_tokens=trigger, sliding_window=types.SlidingWindow(target_tokens=target)
        ),
        realtime_input_config=types.RealtimeInputConfig(
            automatic_activity_detection=types.AutomaticActivityDetection(
                disabled=vad_mode(persona, settings) == "local"
            )
        ),
        session_resumption=types.SessionResumptionConfig(
            handle=settings.resumption_handle,
            # Transparent resumption (acknowledged client frames) exists only on Vertex AI; the
            # SDK refuses it on the Developer API.
            transparent=True if settings.backend == "vertex" else None,
        ),
    )


def _declarations(persona: Persona, settings: TalkSettings) -> tuple[list[dict[str, Any]], list[str]]:
    return adjust_declarations(function_declarations(persona), model_for(persona, settings))


def setup_notices(persona: Persona, settings: TalkSettings) -> list[str]:
    """What the chosen model forces to change in the persona's setup, one line each (shown before connecting)."""
    return _declarations(persona, settings)[1]


def config_as_json(config: types.LiveConnectConfig) -> dict[str, Any]:
    """The config as plain JSON (for ``talk --dry-run --json``)."""
    result: dict[str, Any] = json.loads(config.model_dump_json(exclude_none=True))
    return result
