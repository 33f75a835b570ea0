"""The ``session`` settings users ask for: parsed into the model, mistakes reported together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from voicecli.errors import PersonaError
from voicecli.persona import load_persona
from voicecli.persona.model import ActivityDetection, Thinking


def _load(tmp_path: Path, samples: Any, session: dict[str, Any]) -> Any:
    document = samples.base_document()
    document["session"] = session
    return load_persona(samples.write(tmp_path, document))


def test_unset_settings_are_none_so_the_model_default_applies(tmp_path: Path, samples: Any) -> None:
    session = _load(tmp_path, samples, {}).session
    assert (session.proactive_audio, session.affective_dialog, session.thinking) == (None, None, None)
    assert (session.activity_detection, session.activity_handling, session.media_resolution) == (None, None, None)


def test_every_setting_loads(tmp_path: Path, samples: Any) -> None:
    session = _load(tmp_path, samples, {
        "proactive_audio": True,
        "affective_dialog": False,
        "thinking": {"budget": 1024},
        "activity_detection": {"start_sensitivity": "low", "end_sensitivity": "high",
                               "prefix_padding_ms": 20, "silence_duration_ms": 500},
        "activity_handling": "no_interrupt",
        "media_resolution": "low",
    }).session
    assert (session.proactive_audio, session.affective_dialog) == (True, False)
    assert session.thinking == Thinking(budget=1024)
    assert session.activity_detection == ActivityDetection("low", "high", 20, 500)
    assert (session.activity_handling, session.media_resolution) == ("no_interrupt", "low")
    assert _load(tmp_path, samples, {"thinking": {"level": "minimal"}}).session.thinking == Thinking(level="minimal")
    partial = _load(tmp_path, samples, {"activity_detection": {"silence_duration_ms": 800}}).session
    assert partial.activity_detection == ActivityDetection(silence_duration_ms=800)


def test_mistakes_are_reported_together(tmp_path: Path, samples: Any) -> None:
    with pytest.raises(PersonaError) as caught:
        _load(tmp_path, samples, {
            "proactive_audio": "yes",
            "thinking": {"level": "extreme"},
            "activity_detection": {"start_sensitivity": "medium", "silence_duration_ms": -5, "padding": 3},
            "activity_handling": "ignore",
            "media_resolution": "4k",
        })
    problems = "\n".join(caught.value.problems)
    assert "session.proactive_audio: expected true or false, got a string" in problems
    assert "session.thinking.level: must be one of minimal, low, medium, high, got 'extreme'" in problems
    assert "session.activity_detection.start_sensitivity: must be one of low, high" in problems
    assert "session.activity_detection.silence_duration_ms: must be at least 0, got -5" in problems
    assert "session.activity_detection.padding: unknown key 'padding'" in problems
    assert "session.activity_handling: must be one of interrupt, no_interrupt" in problems
    assert "session.media_resolution: must be one of low, medium, high" in problems
    assert len(caught.value.problems) == 7


@pytest.mark.parametrize("thinking", [{"level": "low", "budget": 1024}, {}])
def test_thinking_takes_a_level_or_a_budget(tmp_path: Path, samples: Any, thinking: dict[str, Any]) -> None:
    with pytest.raises(PersonaError) as caught:
        _load(tmp_path, samples, {"thinking": thinking})
    assert any("session.thinking: needs exactly one of 'level' or 'budget'" in p for p in caught.value.problems)
