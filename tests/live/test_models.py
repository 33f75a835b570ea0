"""The client's model table and the emulator's describe the same service."""

from __future__ import annotations

import pytest

from voicecli.emulator.models import MODELS
from voicecli.live.models import MODEL_CAPABILITIES, adjust_declarations, capabilities


def test_both_tables_know_the_same_models() -> None:
    assert set(MODEL_CAPABILITIES) == set(MODELS)


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_both_tables_agree_on_every_capability(model_id: str) -> None:
    client, service = MODEL_CAPABILITIES[model_id], MODELS[model_id]
    assert client.backends == service.backends
    assert client.modalities == service.modalities
    assert client.non_blocking == service.non_blocking
    assert client.default_behavior == service.default_behavior
    assert client.blocking_allowed == service.blocking_allowed
    assert client.proactive_audio == service.proactive_audio
    assert client.affective_dialog == (service.affective_dialog != "refused")
    assert client.thinking == service.thinking


def test_a_model_path_finds_its_row() -> None:
    assert capabilities("models/gemini-3.8-live") is MODEL_CAPABILITIES["gemini-3.8-live"]


def test_extended_thinking_makes_every_call_asynchronous_and_says_so() -> None:
    declarations, notices = adjust_declarations([{"name": "lookup"}], "gemini-3.8-live-extended-thinking")
    assert declarations == [{"name": "lookup", "behavior": "NON_BLOCKING"}]
    assert len(notices) == 1 and "lookup" in notices[0]
