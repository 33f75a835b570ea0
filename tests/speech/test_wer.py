"""Word error rate: edit distance over normalised words."""

from __future__ import annotations

import pytest

from voicecli.speech.wer import WordErrors, edit_distance, word_error_rate, word_errors


@pytest.mark.parametrize(
    ("reference", "hypothesis", "distance"),
    [
        (["a", "b", "c"], ["a", "b", "c"], 0),
        (["a", "b", "c"], ["a", "x", "c"], 1),  # substitution
        (["a", "b", "c"], ["a", "c"], 1),  # deletion
        (["a", "b", "c"], ["a", "b", "x", "c"], 1),  # insertion
        (["a", "b"], [], 2),
        ([], ["a"], 1),
        (["a", "b", "c", "d"], ["b", "c", "d", "e"], 2),
    ],
)
def test_edit_distance_counts_each_edit_once(reference: list[str], hypothesis: list[str], distance: int) -> None:
    assert edit_distance(reference, hypothesis) == distance


def test_rate_is_errors_over_reference_words() -> None:
    assert word_error_rate("set the thermostat to 21 degrees", "set a thermostat to 21 degrees") == pytest.approx(1 / 6)
    assert word_errors("one two three four", "one two").rate == 0.5


def test_spelling_conventions_are_not_errors() -> None:
    assert word_error_rate("Set the thermostat to 21 degrees.", "set the thermostat to twenty-one degrees") == 0
    assert word_error_rate("The total comes to 250 dollars.", "The total comes to $250.") == 0
    assert word_error_rate("Wake me at 4 pm.", "Wake me at 4 p.m.") == 0
    assert word_error_rate("I am flying to Singapore.", "I'm flying to Singapore.") == 0


def test_empty_reference() -> None:
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "hello") == 1.0


def test_corpus_totals_add_up() -> None:
    total = word_errors("a b c d", "a b c") + word_errors("e f", "e g")
    assert total == WordErrors(errors=2, reference_words=6)
    assert total.rate == pytest.approx(2 / 6)
