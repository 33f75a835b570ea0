"""The client's model table and the emulator's describe the same service; the table's session rules."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from voicecli.emulator.models import MODELS, ModelSpec
from voicecli.errors import UsageError
from voicecli.live.models import (
    MODEL_CAPABILITIES,
    ModelCapabilities,
    SessionPlan,
    SessionWants,
    adjust_declarations,
    capabilities,
    plan_session,
)

CLIENT_FACTS = [f.name for f in fields(ModelCapabilities)]


def test_both_tables_know_the_same_models() -> None:
    assert set(MODEL_CAPABILITIES) == set(MODELS)


def test_every_client_fact_is_also_a_fact_of_the_emulator() -> None:
    service_facts = {f.name for f in fields(ModelSpec)}
    assert set(CLIENT_FACTS) <= service_facts


def test_the_agreement_covers_the_facts_the_emulator_enforces() -> None:
    assert {"google_search", "thinking_levels", "media_resolution", "client_content_mid_session"} <= set(CLIENT_FACTS)


def test_only_flash_31_takes_client_content_just_as_initial_history() -> None:
    refusing = {name for name, row in MODEL_CAPABILITIES.items() if not row.client_content_mid_session}
    assert refusing == {"gemini-3.1-flash-live-preview", "gemini-3.1-flash-live-preview-04-2026"}


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_both_tables_agree_on_every_capability(model_id: str) -> None:
    client, service = MODEL_CAPABILITIES[model_id], MODELS[model_id]
    for name in CLIENT_FACTS:
        assert getattr(client, name) == getattr(service, name), name


def test_a_model_path_finds_its_row() -> None:
    assert capabilities("models/gemini-3.8-live") is MODEL_CAPABILITIES["gemini-3.8-live"]


def test_the_current_families_are_in_the_table() -> None:
    for model in ("gemini-3.8-live", "gemini-3.8-live-extended-thinking", "gemini-3.1-flash-live-preview",
                  "gemini-2.5-flash-native-audio-preview-12-2025", "gemini-live-2.5-flash-native-audio"):
        assert capabilities(model) is not None, model


def test_extended_thinking_makes_every_call_asynchronous_and_says_so() -> None:
    declarations, notices = adjust_declarations([{"name": "lookup"}], "gemini-3.8-live-extended-thinking")
    assert declarations == [{"name": "lookup", "behavior": "NON_BLOCKING"}]
    assert len(notices) == 1 and "lookup" in notices[0]


def plan(model: str, backend: str = "developer", **wants: Any) -> SessionPlan:
    return plan_session(SessionWants(**wants), model, backend)  # type: ignore[arg-type]


def test_settings_a_model_takes_pass_unchanged_and_silently() -> None:
    wanted = SessionWants(proactive_audio=True, affective_dialog=True, thinking_budget=512, media_resolution="low",
                          start_sensitivity="low", silence_duration_ms=500, activity_handling="no_interrupt",
                          builtin_tools=("google_search",))
    result = plan_session(wanted, "gemini-live-2.5-flash-native-audio", "vertex")
    assert result.wants == wanted and result.notices == ()
    assert result.api_version is None and result.transparent_resumption


def test_developer_native_audio_features_use_v1alpha() -> None:
    assert plan("gemini-2.5-flash-native-audio-preview-12-2025", proactive_audio=True).api_version == "v1alpha"
    assert plan("gemini-2.5-flash-native-audio-preview-12-2025", affective_dialog=True).api_version == "v1alpha"
    assert plan("gemini-2.5-flash-native-audio-preview-12-2025", proactive_audio=False).api_version is None


@pytest.mark.parametrize(
    ("model", "wants", "changed", "words"),
    [
        ("gemini-3.8-live", {"proactive_audio": False}, {"proactive_audio": None}, "always on"),
        ("gemini-3.1-flash-live-preview", {"proactive_audio": True}, {"proactive_audio": None}, "not available"),
        ("gemini-3.8-live", {"affective_dialog": True}, {"affective_dialog": None}, "affective dialog"),
        ("gemini-3.8-live", {"thinking_level": "low"}, {"thinking_level": None}, "no thinking settings"),
        ("gemini-3.1-flash-live-preview", {"thinking_budget": 1000}, {"thinking_level": "low", "thinking_budget": None},
         "becomes level low"),
        ("gemini-3.1-flash-live-preview", {"thinking_budget": 0}, {"thinking_level": "minimal",
                                                                     "thinking_budget": None}, "level minimal"),
        ("gemini-3.8-live-extended-thinking", {"thinking_level": "minimal"}, {"thinking_level": "low"},
         "becomes level low"),
        ("gemini-3.8-live-extended-thinking", {"thinking_budget": 100_000}, {"thinking_level": "high",
                                                                               "thinking_budget": None}, "level high"),
        ("gemini-2.5-flash-native-audio-preview-12-2025", {"thinking_level": "medium"},
         {"thinking_level": None, "thinking_budget": 8192}, "budget 8192"),
        ("gemini-3.8-live", {"media_resolution": "low"}, {"media_resolution": None}, "media_resolution"),
        ("gemini-3.1-flash-live-preview", {"server_vad": False, "silence_duration_ms": 300},
         {"silence_duration_ms": None}, "vad: local"),
    ],
)
def test_what_a_model_cannot_take_is_adjusted_with_one_notice(model: str, wants: dict[str, Any],
                                                             changed: dict[str, object], words: str) -> None:
    result = plan(model, **wants)
    for name, value in changed.items():
        assert getattr(result.wants, name) == value, name
    assert len(result.notices) == 1 and words in result.notices[0], result.notices


def test_a_level_the_model_takes_is_kept() -> None:
    result = plan("gemini-3.1-flash-live-preview", thinking_level="minimal")
    assert result.wants.thinking_level == "minimal" and result.notices == ()


def test_media_resolution_is_kept_where_the_backend_takes_it() -> None:
    assert plan("gemini-3.8-live", "vertex", media_resolution="high").wants.media_resolution == "high"


@pytest.mark.parametrize(
    ("model", "backend", "wants", "words"),
    [
        ("gemini-3.5-live-translate-preview", "developer", {}, "translate model"),
        ("gemini-3.5-transcribe-live", "developer", {}, "transcribe model"),
        ("gemini-3.1-flash-live-preview", "vertex", {}, "gemini-3.1-flash-live-preview-04-2026"),
        ("gemini-live-2.5-flash-native-audio", "developer", {}, "not served on the Gemini Developer API"),
    ],
)
def test_a_persona_that_cannot_run_is_refused(model: str, backend: str, wants: dict[str, Any],
                                              words: str) -> None:
    with pytest.raises(UsageError) as caught:
        plan(model, backend, **wants)
    assert caught.value.exit_code == 2
    assert words in f"{caught.value.message} {caught.value.hint}"


def test_an_unknown_model_gets_everything_as_asked() -> None:
    wanted = SessionWants(proactive_audio=False, thinking_budget=5, affective_dialog=True)
    result = plan_session(wanted, "gemini-9-future-live", "developer")
    assert result.wants == wanted and result.notices == () and result.api_version is None
