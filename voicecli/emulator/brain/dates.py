"""Calendar dates said aloud or written, as ISO ``YYYY-MM-DD``.

Understood: "March 3rd 1990", "march third nineteen ninety", "the 3rd of March, 1990",
"3 March 1990", "1990-03-03" and US-style "3/3/1990" (month first). A date needs its year: the
brain has no clock, so "next Tuesday" or "March 3rd" alone are not dates here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from voicecli.emulator.brain.numbers import read_cardinal, read_ordinal, read_year
from voicecli.emulator.brain.words import lower_tokens

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class DateSpan:
    start: int  # token indexes, as in ``words.lower_tokens``
    end: int
    iso: str


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None  # "February 30th" is not a date


def _day(toks: list[str], i: int) -> tuple[int, int] | None:
    found = read_ordinal(toks, i) or read_cardinal(toks, i)
    if found is None or not isinstance(found[0], int) or not 1 <= found[0] <= 31:
        return None
    return found[0], found[1]


def _skip(toks: list[str], i: int, *fillers: str) -> int:
    while i < len(toks) and toks[i] in fillers:
        i += 1
    return i


def _month_first(toks: list[str], i: int) -> DateSpan | None:
    """"March 3rd, 1990", "march the third nineteen ninety"."""
    month = MONTHS.get(toks[i])
    if month is None:
        return None
    day = _day(toks, _skip(toks, i + 1, "the"))
    if day is None:
        return None
    year = read_year(toks, _skip(toks, day[1], ",", "of"))
    if year is None:
        return None
    iso = _iso(year[0], month, day[0])
    return DateSpan(i, year[1], iso) if iso else None


def _day_first(toks: list[str], i: int) -> DateSpan | None:
    """"the 3rd of March 1990", "3 March 1990"."""
    start = i
    i = _skip(toks, i, "the")
    day = _day(toks, i)
    if day is None:
        return None
    j = _skip(toks, day[1], "of")
    month = MONTHS.get(toks[j]) if j < len(toks) else None
    if month is None:
        return None
    year = read_year(toks, _skip(toks, j + 1, ","))
    if year is None:
        return None
    iso = _iso(year[0], month, day[0])
    return DateSpan(start, year[1], iso) if iso else None


def _written(token: str) -> str | None:
    iso = _ISO.fullmatch(token)
    if iso:
        return _iso(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    us = _US.fullmatch(token)
    if us:
        return _iso(int(us.group(3)), int(us.group(1)), int(us.group(2)))
    return None


def find_dates(text: str) -> list[DateSpan]:
    """Every full date in the text, left to right."""
    toks = lower_tokens(text)
    found: list[DateSpan] = []
    i = 0
    while i < len(toks):
        written = _written(toks[i])
        span = DateSpan(i, i + 1, written) if written else _month_first(toks, i) or _day_first(toks, i)
        if span is not None:
            found.append(span)
            i = span.end
        else:
            i += 1
    return found
