"""Each model's setup rules, as the emulator enforces them (the table is in voicecli/emulator/models.py)."""

from __future__ import annotations

import json

import pytest

from voicecli.emulator import KNOWN_MODELS
from voicecli.emulator import protocol as p


def parse(model: str, *, vertex: bool = False, api_version: str = "v1beta", field_reports: bool = False,
          **fields: object) -> p.SessionConfig:
    frame = p.parse_frame(json.dumps({"setup": {"model": f"models/{model}", **fields}}))
    return p.parse_setup(frame, vertex=vertex, known_models=KNOWN_MODELS, api_version=api_version,
                         field_reports=field_reports)


def refusal(model: str, **kwargs: object) -> p.ProtocolError:
    with pytest.raises(p.ProtocolError) as caught:
        parse(model, **kwargs)  # type: ignore[arg-type]
    return caught.value


TEXT = {"generationConfig": {"responseModalities": ["TEXT"]}}


def test_native_audio_models_refuse_text_as_the_service_words_it() -> None:
    error = refusal("gemini-2.5-flash-native-audio-preview-12-2025", **TEXT)
    assert (error.code, error.reason) == (1007, "Cannot extract voices from a non-audio request.")
    assert refusal("gemini-3.8-live", **TEXT).code == 1007


def test_flash_31_takes_text_unless_following_field_reports() -> None:
    assert parse("gemini-3.1-flash-live-preview", **TEXT).modality == "TEXT"  # type: ignore[arg-type]
    error = refusal("gemini-3.1-flash-live-preview", field_reports=True, **TEXT)
    assert (error.code, error.reason) == (1011, "Internal error encountered.")


def test_the_transcription_model_answers_only_in_text() -> None:
    assert refusal("gemini-3.5-transcribe-live").code == 1007  # AUDIO is the default modality
    assert parse("gemini-3.5-transcribe-live", **TEXT).modality == "TEXT"  # type: ignore[arg-type]


def test_models_live_on_their_own_backends() -> None:
    assert refusal("gemini-3.1-flash-live-preview", vertex=True).code == 1008
    assert refusal("gemini-live-2.5-flash-native-audio").code == 1008
    assert parse("gemini-live-2.5-flash-native-audio", vertex=True).vertex
    assert refusal("gemini-2.0-flash-live-001").code == 1008  # shut down


def test_undeclared_behaviour_follows_the_model() -> None:
    tools = [{"functionDeclarations": [{"name": "f"}, {"name": "g", "behavior": "NON_BLOCKING"}]}]
    assert parse("gemini-3.8-live", tools=tools).tool_behaviour == {"f": "NON_BLOCKING", "g": "NON_BLOCKING"}
    assert parse("gemini-2.5-flash-native-audio-preview-12-2025", tools=tools).tool_behaviour == {
        "f": "BLOCKING", "g": "NON_BLOCKING"}
    assert parse("gemini-3.1-flash-live-preview", tools=tools).tool_behaviour == {"f": "BLOCKING", "g": "BLOCKING"}
    explicit = [{"functionDeclarations": [{"name": "f", "behavior": "BLOCKING"}]}]
    assert parse("gemini-3.8-live", tools=explicit).tool_behaviour == {"f": "BLOCKING"}
    assert parse("gemini-3.8-live-extended-thinking", tools=explicit).tool_behaviour == {"f": "NON_BLOCKING"}


@pytest.mark.parametrize(
    ("model", "fields", "words"),
    [
        ("gemini-3.8-live", {"proactivity": {"proactiveAudio": False}}, "cannot be disabled"),
        ("gemini-3.8-live", {"generationConfig": {"enableAffectiveDialog": True}}, "enableAffectiveDialog"),
        ("gemini-3.8-live", {"generationConfig": {"thinkingConfig": {"thinkingLevel": "low"}}}, "thinkingConfig"),
        ("gemini-3.1-flash-live-preview", {"proactivity": {"proactiveAudio": True}}, "not supported"),
        ("gemini-3.1-flash-live-preview", {"generationConfig": {"thinkingConfig": {"thinkingBudget": 10}}},
         "thinking_level"),
        ("gemini-2.5-flash-native-audio-preview-12-2025", {"proactivity": {"proactiveAudio": True}}, "proactivity"),
        ("gemini-3.5-live-translate-preview", {"tools": [{"functionDeclarations": [{"name": "f"}]}]},
         "no tools"),
        ("gemini-3.8-live-extended-thinking", {"generationConfig": {"thinkingConfig": {"thinkingLevel": "MINIMAL"}}},
         "thinking_level MINIMAL"),
        ("gemini-3.5-transcribe-live", {"generationConfig": {"responseModalities": ["TEXT"]},
                                        "tools": [{"googleSearch": {}}]}, "Google Search"),
    ],
)
def test_settings_a_model_does_not_take_are_refused(model: str, fields: dict[str, object], words: str) -> None:
    error = refusal(model, **fields)
    assert error.code == 1007
    assert words in error.reason


def test_settings_a_model_takes_are_accepted() -> None:
    parse("gemini-3.8-live", proactivity={"proactiveAudio": True})
    parse("gemini-2.5-flash-native-audio-preview-12-2025", api_version="v1alpha",
          proactivity={"proactiveAudio": True}, generationConfig={"enableAffectiveDialog": True})
    parse("gemini-live-2.5-flash-native-audio", vertex=True, generationConfig={"enableAffectiveDialog": True,
          "thinkingConfig": {"thinkingBudget": 0}})
    parse("gemini-3.8-live-extended-thinking", generationConfig={"thinkingConfig": {"thinkingLevel": "high"}})
    parse("gemini-3.8-live", vertex=True, generationConfig={"mediaResolution": "MEDIA_RESOLUTION_LOW"})
    # A Vertex addition on 3.8; the Developer API accepts it too (pipecat sends it by default).
    parse("gemini-3.8-live", generationConfig={"mediaResolution": "MEDIA_RESOLUTION_LOW"})
    parse("gemini-3.8-live", tools=[{"googleSearch": {}}])
