"""Persona + talk settings -> LiveConnectConfig: a pure function, checked field by field."""

from __future__ import annotations

from pathlib import Path

from google.genai import types

from voicecli.live.config import (
    DEFAULT_MODELS,
    DEFAULT_TRIGGER_TOKENS,
    TalkSettings,
    build_live_config,
    model_for,
    setup_notices,
)
from voicecli.persona import load_persona
from voicecli.persona.instructions import compile_instructions

REPO = Path(__file__).resolve().parents[2]
LAURA = load_persona(REPO / "personas" / "laura.yaml")
TESS = load_persona(REPO / "tests" / "e2e" / "fixtures" / "tess.yaml")


def test_languages_voice_and_instruction_are_explicit() -> None:
    config = build_live_config(LAURA, TalkSettings())
    assert config.speech_config is not None
    assert config.speech_config.language_code == "en-US"
    assert config.speech_config.voice_config is not None
    assert config.speech_config.voice_config.prebuilt_voice_config is not None
    assert config.speech_config.voice_config.prebuilt_voice_config.voice_name == "Kore"
    assert config.input_audio_transcription is not None and config.output_audio_transcription is not None
    assert config.input_audio_transcription.language_codes == ["en-US"]
    assert config.output_audio_transcription.language_codes == ["en-US"]
    assert config.response_modalities == [types.Modality.AUDIO]
    assert isinstance(config.system_instruction, types.Content)
    assert config.system_instruction.parts is not None
    assert config.system_instruction.parts[0].text == compile_instructions(LAURA)


def test_voice_flag_overrides_the_persona() -> None:
    config = build_live_config(LAURA, TalkSettings(voice="Puck"))
    assert config.speech_config is not None and config.speech_config.voice_config is not None
    assert config.speech_config.voice_config.prebuilt_voice_config is not None
    assert config.speech_config.voice_config.prebuilt_voice_config.voice_name == "Puck"


def _behaviours(config: types.LiveConnectConfig) -> dict[str | None, types.Behavior | None]:
    assert config.tools is not None
    tool = config.tools[0]
    assert isinstance(tool, types.Tool) and tool.function_declarations is not None
    return {d.name: d.behavior for d in tool.function_declarations}


def test_tools_keep_their_non_blocking_behaviour() -> None:
    # gemini-3.8-live makes undeclared calls NON_BLOCKING, so blocking tools say BLOCKING explicitly.
    blocking = types.Behavior.BLOCKING
    assert _behaviours(build_live_config(TESS, TalkSettings())) == {
        "slow_lookup": types.Behavior.NON_BLOCKING, "flaky_check": blocking, "archive_fetch": blocking}
    assert setup_notices(TESS, TalkSettings()) == []


def test_blocking_is_the_unspoken_default_on_models_whose_default_it_is() -> None:
    settings = TalkSettings(model="gemini-2.5-flash-native-audio-preview-12-2025")
    assert _behaviours(build_live_config(TESS, settings)) == {
        "slow_lookup": types.Behavior.NON_BLOCKING, "flaky_check": None, "archive_fetch": None}


def test_a_non_blocking_tool_on_a_model_without_it_becomes_blocking_with_a_notice() -> None:
    settings = TalkSettings(model="gemini-3.1-flash-live-preview")
    assert _behaviours(build_live_config(TESS, settings)) == {
        "slow_lookup": None, "flaky_check": None, "archive_fetch": None}
    (notice,) = setup_notices(TESS, settings)
    assert "slow_lookup" in notice and "blocking call" in notice


def test_an_unknown_model_passes_through_with_a_warning() -> None:
    settings = TalkSettings(model="gemini-9-future-live")
    assert _behaviours(build_live_config(TESS, settings))["slow_lookup"] == types.Behavior.NON_BLOCKING
    (notice,) = setup_notices(TESS, settings)
    assert "gemini-9-future-live" in notice and "unchecked" in notice


def test_compression_defaults_and_overrides() -> None:
    default = build_live_config(TESS, TalkSettings()).context_window_compression
    assert default is not None and default.sliding_window is not None
    assert default.trigger_tokens == DEFAULT_TRIGGER_TOKENS
    assert default.sliding_window.target_tokens == DEFAULT_TRIGGER_TOKENS // 2
    custom = build_live_config(TESS, TalkSettings(trigger_tokens=40_000, target_tokens=10_000))
    assert custom.context_window_compression is not None
    assert custom.context_window_compression.trigger_tokens == 40_000
    assert custom.context_window_compression.sliding_window is not None
    assert custom.context_window_compression.sliding_window.target_tokens == 10_000


def test_local_activity_detection_turns_the_service_detector_off() -> None:
    server = build_live_config(LAURA, TalkSettings(vad="server")).realtime_input_config
    local = build_live_config(LAURA, TalkSettings(vad="local")).realtime_input_config
    assert server is not None and server.automatic_activity_detection is not None
    assert local is not None and local.automatic_activity_detection is not None
    assert server.automatic_activity_detection.disabled is False
    assert local.automatic_activity_detection.disabled is True


def test_resumption_is_transparent_only_on_vertex_and_carries_the_handle() -> None:
    developer = build_live_config(LAURA, TalkSettings(backend="developer")).session_resumption
    vertex = build_live_config(LAURA, TalkSettings(backend="vertex", resumption_handle="h1")).session_resumption
    assert developer is not None and developer.transparent is None and developer.handle is None
    assert vertex is not None and vertex.transparent is True and vertex.handle == "h1"


def test_a_fresh_session_after_a_lost_one_gets_the_summary() -> None:
    config = build_live_config(LAURA, TalkSettings(extra_context="Earlier: the user is Ana."))
    assert isinstance(config.system_instruction, types.Content) and config.system_instruction.parts
    text = config.system_instruction.parts[0].text or ""
    assert text.startswith(compile_instructions(LAURA)) and text.endswith("Earlier: the user is Ana.")


def test_model_defaults_per_backend_and_the_flag_wins() -> None:
    assert model_for(LAURA, TalkSettings(backend="vertex")) == DEFAULT_MODELS["vertex"]
    assert model_for(LAURA, TalkSettings(model="gemini-live-2.5-flash")) == "gemini-live-2.5-flash"
