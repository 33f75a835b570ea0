"""Persona + talk settings -> the ``LiveConnectConfig`` sent in the setup frame. Pure and tested.

Everything the service needs to behave is explicit here: the system instruction, tool
declarations, the speech and transcription languages, context window compression, activity
detection and session resumption. The persona's model-dependent ``session`` settings go through the
model table first (``voicecli.live.models.plan_session``): what the model cannot take is adjusted with
a notice, or refused (exit 2) before anything connects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from google.genai import types

from voicecli.errors import UsageError
from voicecli.live.models import SessionPlan, SessionWants, adjust_declarations, plan_session
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
    plan = session_plan(persona, settings)
    wants = plan.wants
    tools: list[types.ToolUnion] = [types.Tool(function_declarations=declarations)] if declarations else []
    tools += [_BUILTIN_TOOLS[name]() for name in wants.builtin_tools]

    return types.LiveConnectConfig(
        http_options=types.HttpOptions(api_version=plan.api_version) if plan.api_version else None,
        response_modalities=[types.Modality.AUDIO],
        system_instruction=types.Content(role="user", parts=[types.Part(text=instruction)]),
        tools=tools or None,
        speech_config=speech,
        proactivity=(types.ProactivityConfig(proactive_audio=wants.proactive_audio)
                     if wants.proactive_audio is not None else None),
        enable_affective_dialog=wants.affective_dialog,
        thinking_config=_thinking(wants),
        media_resolution=(_MEDIA_RESOLUTION[wants.media_resolution] if wants.media_resolution else None),
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
                disabled=not wants.server_vad,
                start_of_speech_sensitivity=(_START[wants.start_sensitivity] if wants.start_sensitivity else None),
                end_of_speech_sensitivity=(_END[wants.end_sensitivity] if wants.end_sensitivity else None),
                prefix_padding_ms=wants.prefix_padding_ms,
                silence_duration_ms=wants.silence_duration_ms,
            ),
            activity_handling=_HANDLING[wants.activity_handling] if wants.activity_handling else None,
        ),
        session_resumption=types.SessionResumptionConfig(
            handle=settings.resumption_handle,
            # Transparent resumption (acknowledged client frames) exists only on Vertex AI; the
            # SDK refuses it on the Developer API.
            transparent=True if plan.transparent_resumption else None,
        ),
    )


_BUILTIN_TOOLS = {"google_search": lambda: types.Tool(google_search=types.GoogleSearch())}
_START = {"low": types.StartSensitivity.START_SENSITIVITY_LOW, "high": types.StartSensitivity.START_SENSITIVITY_HIGH}
_END = {"low": types.EndSensitivity.END_SENSITIVITY_LOW, "high": types.EndSensitivity.END_SENSITIVITY_HIGH}
_HANDLING = {"interrupt": types.ActivityHandling.START_OF_ACTIVITY_INTERRUPTS,
             "no_interrupt": types.ActivityHandling.NO_INTERRUPTION}
_MEDIA_RESOLUTION = {"low": types.MediaResolution.MEDIA_RESOLUTION_LOW,
                     "medium": types.MediaResolution.MEDIA_RESOLUTION_MEDIUM,
                     "high": types.MediaResolution.MEDIA_RESOLUTION_HIGH}
_LEVELS = {"minimal": types.ThinkingLevel.MINIMAL, "low": types.ThinkingLevel.LOW,
           "medium": types.ThinkingLevel.MEDIUM, "high": types.ThinkingLevel.HIGH}


def _thinking(wants: SessionWants) -> types.ThinkingConfig | None:
    if wants.thinking_level is not None:
        return types.ThinkingConfig(thinking_level=_LEVELS[wants.thinking_level])
    if wants.thinking_budget is not None:
        return types.ThinkingConfig(thinking_budget=wants.thinking_budget)
    return None


def session_wants(persona: Persona, settings: TalkSettings) -> SessionWants:
    """The persona's model-dependent settings, as asked for (before the model's rules)."""
    session = persona.session
    thinking, detection = session.thinking, session.activity_detection
    unknown = [name for name in persona.builtin_tools if name not in _BUILTIN_TOOLS]
    if unknown:
        raise UsageError(f"voicecli has no built-in tool {unknown[0]!r}", hint="built-in tools: google_search")
    return SessionWants(
        proactive_audio=session.proactive_audio,
        affective_dialog=session.affective_dialog,
        thinking_level=thinking.level if thinking else None,
        thinking_budget=thinking.budget if thinking else None,
        start_sensitivity=detection.start_sensitivity if detection else None,
        end_sensitivity=detection.end_sensitivity if detection else None,
        prefix_padding_ms=detection.prefix_padding_ms if detection else None,
        silence_duration_ms=detection.silence_duration_ms if detection else None,
        activity_handling=session.activity_handling,
        media_resolution=session.media_resolution,
        builtin_tools=tuple(persona.builtin_tools),
        has_tools=bool(persona.function_tools or persona.handoffs),
        server_vad=vad_mode(persona, settings) == "server",
    )


def session_plan(persona: Persona, settings: TalkSettings) -> SessionPlan:
    """The session settings fitted to the chosen model (raises UsageError when the persona cannot run on it)."""
    return plan_session(session_wants(persona, settings), model_for(persona, settings), settings.backend)


def _declarations(persona: Persona, settings: TalkSettings) -> tuple[list[dict[str, Any]], list[str]]:
    return adjust_declarations(function_declarations(persona), model_for(persona, settings))


def setup_notices(persona: Persona, settings: TalkSettings) -> list[str]:
    """What the chosen model forces to change in the persona's setup, one line each (shown before connecting).

    Raises UsageError (exit 2) when the persona cannot run on the model at all.
    """
    plan = session_plan(persona, settings)
    return [*_declarations(persona, settings)[1], *plan.notices]


def config_as_json(config: types.LiveConnectConfig) -> dict[str, Any]:
    """The config as plain JSON (for ``talk --dry-run --json``)."""
    result: dict[str, Any] = json.loads(config.model_dump_json(exclude_none=True))
    return result
