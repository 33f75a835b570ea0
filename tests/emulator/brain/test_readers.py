"""Numbers, dates, US states and word helpers: the readers every argument extraction is built on."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicecli.emulator.brain.dates import find_dates
from voicecli.emulator.brain.numbers import find_numbers, read_cardinal, read_year
from voicecli.emulator.brain.states import STATES, find_state
from voicecli.emulator.brain.words import clean_answer, humanise, lower_tokens, reflect, stem

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL_UNITS = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                  "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
                  "seventeenth", "eighteenth", "nineteenth"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


def _below_100(n: int, hyphen: bool = False) -> str:
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    return _TENS[tens] + ("" if unit == 0 else ("-" if hyphen else " ") + _UNITS[unit])


def _below_1000(n: int, use_and: bool, hyphen: bool) -> str:
    hundreds, rest = divmod(n, 100)
    parts = [f"{_UNITS[hundreds]} hundred"] if hundreds else []
    if rest:
        parts += ["and"] if hundreds and use_and else []
        parts.append(_below_100(rest, hyphen))
    return " ".join(parts) or "zero"


def spell(n: int, use_and: bool = False, hyphen: bool = False) -> str:
    """English words for 0 <= n < 1,000,000, the way people say them."""
    thousands, rest = divmod(n, 1000)
    if not thousands:
        return _below_1000(n, use_and, hyphen)
    words = f"{_below_1000(thousands, use_and, hyphen)} thousand"
    if rest:
        words += (" and" if use_and and rest < 100 else "") + " " + _below_1000(rest, use_and, hyphen)
    return words


def spell_ordinal(n: int) -> str:
    if n < 20:
        return _ORDINAL_UNITS[n]
    tens, unit = divmod(n, 10)
    return (_TENS[tens][:-1] + "ieth") if unit == 0 else f"{_TENS[tens]} {_ORDINAL_UNITS[unit]}"


def spell_year(year: int) -> str:
    high, low = divmod(year, 100)
    if low == 0:
        return f"{_below_100(high)} hundred"
    if low < 10:
        return f"{_below_100(high)} oh {_UNITS[low]}"
    return f"{_below_100(high)} {_below_100(low)}"


def _suffix(day: int) -> str:
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


# ---- numbers -----------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=999_999), st.booleans(), st.booleans())
def test_any_number_said_in_words_reads_back(n: int, use_and: bool, hyphen: bool) -> None:
    toks = lower_tokens(spell(n, use_and, hyphen))
    assert read_cardinal(toks, 0) == (n, len(toks))


@pytest.mark.parametrize(
    ("said", "value"),
    [("twenty one", 21), ("21", 21), ("21.5", 21.5), ("twenty one point five", 21.5), ("1,200", 1200),
     ("minus five", -5), ("one hundred and five", 105)],
)
def test_numbers_written_or_said(said: str, value: float) -> None:
    found = read_cardinal(lower_tokens(said), 0)
    assert found is not None and found[0] == value


def test_ordinals_and_cardinals_are_told_apart() -> None:
    numbers = find_numbers(lower_tokens("the third of two 3rd twenty first"))
    assert [(n.value, n.ordinal) for n in numbers] == [(3, True), (2, False), (3, True), (21, True)]


@given(st.integers(min_value=1100, max_value=2099))
def test_years_said_in_pairs_read_back(year: int) -> None:
    toks = lower_tokens(spell_year(year))
    assert read_year(toks, 0) == (year, len(toks))


@pytest.mark.parametrize("said", ["two thousand and five", "two thousand five", "twenty oh five", "2005"])
def test_the_ways_of_saying_2005(said: str) -> None:
    found = read_year(lower_tokens(said), 0)
    assert found is not None and found[0] == 2005


# ---- dates -------------------------------------------------------------------------------------


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)), st.integers(0, 4))
def test_a_date_said_any_usual_way_becomes_iso(day: date, form: int) -> None:
    month = _MONTHS[day.month - 1]
    said = [
        f"{month} {day.day}{_suffix(day.day)} {day.year}",
        f"{month.lower()} {spell_ordinal(day.day)} {spell_year(day.year)}",
        f"the {spell_ordinal(day.day)} of {month}, {day.year}",
        day.isoformat(),
        f"{day.month}/{day.day}/{day.year}",
    ][form]
    found = find_dates(f"I was born on {said}, in a small town.")
    assert [span.iso for span in found] == [day.isoformat()]


@pytest.mark.parametrize("said", ["March 3rd", "February 30th 1990", "may be later", "13/13/1990"])
def test_incomplete_or_impossible_dates_are_not_dates(said: str) -> None:
    assert find_dates(said) == []


# ---- states ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "name"), sorted(STATES.items()))
def test_every_state_is_found_by_name_in_any_case(code: str, name: str) -> None:
    assert find_state(f"well, I live in {name.lower()} now") == (name, code)


def test_state_codes_count_only_in_capitals_and_not_ok() -> None:
    assert find_state("I moved to TX last year") == ("Texas", "TX")
    assert find_state("ok, in the morning") is None
    assert find_state("West Virginia, not Virginia") == ("West Virginia", "WV")


# ---- words -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [("books", "booked"), ("booking", "book"), ("lives", "living"),
                                      ("colour", "colors"), ("stopping", "stop"), ("appointments", "appointment")])
def test_stems_meet_across_suffixes(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_reflect_speaks_to_the_user() -> None:
    assert reflect("I've been stressed at work and I'm not sleeping well.") == \
        "you've been stressed at work and you're not sleeping well"
    assert reflect("my boss says you are right") == "your boss says I am right"


def test_clean_answer_drops_openers_and_politeness() -> None:
    assert clean_answer("Yes, it's 12 Elm Street, please.") == "12 Elm Street"
    assert clean_answer("okay") == ""


def test_identifiers_are_said_as_words() -> None:
    assert humanise("create_client_profile") == "create client profile"
    assert humanise("getWeatherForecast") == "get weather forecast"
