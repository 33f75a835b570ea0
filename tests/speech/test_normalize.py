"""Transcript tidying (numbers as the service prints them) and the words a WER compares."""

from __future__ import annotations

import pytest

from voicecli.speech.normalize import scoring_words, tidy_transcript
from voicecli.speech.numbers import read_numbers


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("Set the thermostat to twenty-one degrees.", "Set the thermostat to 21 degrees."),
        ("My favorite number is forty two.", "My favorite number is 42."),
        ("Room two hundred and four, please", "Room 204, please"),
        ("It was one thousand nine hundred and ninety nine", "It was 1999"),
        ("the twenty first of March", "the 21st of March"),
        ("Book a table for four people.", "Book a table for four people."),  # small numbers stay words
        ("one, two, three", "one, two, three"),
        ("Wake me at six thirty", "Wake me at 6 30"),  # two numbers in one run
        ("Twelve  apples\n", "12 apples"),
        ("Bread and butter", "Bread and butter"),
        ("Two hundred and", "200 and"),  # "and" is part of a number only before another number word
        ("", ""),
    ],
)
def test_tidy_transcript(raw: str, tidy: str) -> None:
    assert tidy_transcript(raw) == tidy


def test_read_numbers_splits_where_a_listener_would() -> None:
    values = [n.value for n in read_numbers(["nineteen", "ninety", "nine"])]
    assert values == [19, 99]
    assert [n.digits() for n in read_numbers(["eleventh"])] == ["11th"]
    assert [n.digits() for n in read_numbers(["twenty", "second"])] == ["22nd"]
    assert [n.digits() for n in read_numbers(["thirty", "thousand"])] == ["30000"]


def test_scoring_words_puts_both_sides_in_one_form() -> None:
    assert scoring_words("Convert $100 to euros at 6:30 p.m.!") == ["convert", "100", "dollars", "to", "euros", "at",
                                                                     "6", "30", "pm"]
    assert scoring_words("3.5% of 1,000") == ["3.5", "percent", "of", "1000"]
    assert scoring_words("It's the third, isn't it?") == ["it", "is", "the", "3rd", "is", "not", "it"]
    assert scoring_words("O'Neill's   well-known four") == ["o'neill's", "well", "known", "4"]
