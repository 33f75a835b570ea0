"""DriftDetector judges whole turns; steer_text repeats the persona's language directive."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicecli.guards.drift import DriftDetector, language_directive, steer_text
from voicecli.paths import personas_dir
from voicecli.persona import load_persona
from voicecli.persona.instructions import compile_instructions

SPANISH = ["Veo dos citas la semana que viene, ", "una el martes por la mañana ", "y otra el jueves por la tarde."]
ENGLISH = "I can see two appointments next week, one on Tuesday morning and one on Thursday afternoon."


def test_a_whole_turn_in_another_language_is_a_drift() -> None:
    detector = DriftDetector("en-US")
    for chunk in SPANISH:
        detector.feed(chunk)
    drift = detector.end_turn()
    assert drift is not None
    assert (drift.expected, drift.detected) == ("en-US", "es")
    assert drift.text == "".join(SPANISH).strip()
    assert drift.confidence >= 0.9
    assert (detector.drifts, detector.turns) == (1, 1)


def test_a_turn_in_the_expected_language_is_not() -> None:
    detector = DriftDetector("en-US")
    detector.feed(ENGLISH)
    assert detector.end_turn() is None
    assert (detector.drifts, detector.turns) == (0, 1)


def test_turns_are_judged_separately_and_counted() -> None:
    detector = DriftDetector("es-ES")
    for text in [ENGLISH, "".join(SPANISH), ENGLISH]:
        detector.feed(text)
        detector.end_turn()
    assert (detector.drifts, detector.turns) == (2, 3)
    assert detector.text == ""


def test_a_short_turn_is_not_judged() -> None:
    detector = DriftDetector("en-US")
    detector.feed("¡Claro, un momento!")
    assert detector.end_turn() is None
    assert (detector.drifts, detector.turns) == (0, 0)


def test_a_mixed_turn_is_not_a_drift() -> None:
    detector = DriftDetector("en-US")
    detector.feed("Veo dos citas la semana que viene, una el martes y otra el jueves por la tarde. ")
    detector.feed("That means you have two appointments next week.")
    assert detector.end_turn() is None


def test_discard_forgets_the_turn() -> None:
    detector = DriftDetector("en-US")
    detector.feed("".join(SPANISH))
    detector.discard()
    assert detector.end_turn() is None
    assert detector.turns == 0


def test_a_language_the_identifier_does_not_know_is_never_drifted() -> None:
    detector = DriftDetector("haw")
    detector.feed(ENGLISH)
    assert detector.end_turn() is None


@pytest.mark.parametrize("tag", ["en-US", "es-ES", "ja-JP"])
def test_steer_text_repeats_the_system_instructions_directive_word_for_word(tag: str, tmp_path: Path) -> None:
    source = (personas_dir() / "laura.yaml").read_text(encoding="utf-8")
    assert "  language: en-US\n" in source
    path = tmp_path / "laura.yaml"
    path.write_text(source.replace("  language: en-US\n", f"  language: {tag}\n"), encoding="utf-8")
    for tools in (personas_dir()).glob("laura_tools.py"):
        (tmp_path / tools.name).write_text(tools.read_text(encoding="utf-8"), encoding="utf-8")
    directive = language_directive(tag)
    assert directive in compile_instructions(load_persona(path))
    assert directive in steer_text(tag)


def test_steer_text_names_the_language_and_carries_the_directive() -> None:
    text = steer_text("de-DE")
    assert "RESPOND IN GERMAN. YOU MUST RESPOND UNMISTAKABLY IN GERMAN." in text
    assert text.startswith("[") and text.endswith("]")
