"""Numbers said aloud or written: "twenty one", "one hundred and five", "21.5", "3rd", "nineteen ninety".

Readers take lower-case tokens (see ``words.lower_tokens``) and a start index, and return the value
with the index just past it, or None. Speech recognisers write numbers either way, so both count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90}
_SCALES = {"thousand": 1_000, "million": 1_000_000}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30,
}
_DIGITS = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")
_ORDINAL_DIGITS = re.compile(r"(\d+)(?:st|nd|rd|th)")

Value = int | float


@dataclass(frozen=True)
class Number:
    start: int  # token index of the first word
    end: int  # token index just past the last word
    value: Value
    ordinal: bool = False


def tidy(value: float) -> Value:
    """21.0 -> 21: whole numbers stay integers in JSON."""
    return int(value) if float(value).is_integer() else value


def _is_number_word(token: str) -> bool:
    return token in UNITS or token in TENS or token in _SCALES or token == "hundred"


def read_cardinal(toks: list[str], i: int) -> tuple[Value, int] | None:
    """A cardinal number starting at ``toks[i]``: digits, or words such as "two thousand and five"."""
    if i >= len(toks):
        return None
    negative = toks[i] in {"minus", "negative"}
    start = i + 1 if negative else i
    found = _read_positive(toks, start)
    if found is None:
        return None
    value, end = found
    return (-value if negative else value), end


def _read_positive(toks: list[str], i: int) -> tuple[Value, int] | None:
    if i < len(toks) and _DIGITS.fullmatch(toks[i]):
        return tidy(float(toks[i].replace(",", ""))), i + 1
    total, current, last, j = 0, 0, "", i
    while j < len(toks):
        token = toks[j]
        if token in UNITS:
            if last in {"unit", "teen"} or (last == "tens" and not 0 < UNITS[token] < 10):
                break
            current += UNITS[token]
            last = "unit" if UNITS[token] < 10 else "teen"
        elif token in TENS:
            if last in {"unit", "teen", "tens"}:
                break
            current += TENS[token]
            last = "tens"
        elif token == "hundred" and last in {"unit", "teen", "tens"}:
            current *= 100
            last = "hundred"
        elif token in _SCALES and last in {"unit", "teen", "tens", "hundred"}:
            total += current * _SCALES[token]
            current, last = 0, "scale"
        elif token == "and" and last in {"hundred", "scale"} and j + 1 < len(toks) and (
                toks[j + 1] in UNITS or toks[j + 1] in TENS):
            j += 1
            continue
        else:
            break
        j += 1
    if not last:
        return None
    value: Value = total + current
    if j + 1 < len(toks) and toks[j] == "point" and toks[j + 1] in UNITS and UNITS[toks[j + 1]] < 10:
        digits = ""
        while j + 1 < len(toks) and toks[j + 1] in UNITS and UNITS[toks[j + 1]] < 10:
            digits += str(UNITS[toks[j + 1]])
            j += 1
        value = tidy(float(f"{value}.{digits}"))
        j += 1
    return value, j


def read_ordinal(toks: list[str], i: int) -> tuple[int, int] | None:
    """"3rd", "third", "twenty first"."""
    if i >= len(toks):
        return None
    digits = _ORDINAL_DIGITS.fullmatch(toks[i])
    if digits:
        return int(digits.group(1)), i + 1
    if toks[i] in ORDINALS:
        return ORDINALS[toks[i]], i + 1
    if toks[i] in TENS and i + 1 < len(toks) and toks[i + 1] in ORDINALS and ORDINALS[toks[i + 1]] < 10:
        return TENS[toks[i]] + ORDINALS[toks[i + 1]], i + 2
    return None


def _two_digits(toks: list[str], i: int) -> tuple[int, int] | None:
    """10 to 99 in words, as the halves of a year are said ("nineteen", "ninety one")."""
    if i >= len(toks):
        return None
    token = toks[i]
    if token in UNITS and UNITS[token] >= 10:
        return UNITS[token], i + 1
    if token in TENS:
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if nxt in UNITS and 0 < UNITS[nxt] < 10:
            return TENS[token] + UNITS[nxt], i + 2
        return TENS[token], i + 1
    return None


def read_year(toks: list[str], i: int) -> tuple[int, int] | None:
    """"1990", "nineteen ninety", "twenty twenty four", "two thousand and five", "nineteen oh five"."""
    if i < len(toks) and re.fullmatch(r"\d{4}", toks[i]):
        year = int(toks[i])
        return (year, i + 1) if 1000 <= year <= 2999 else None
    cardinal = read_cardinal(toks, i)
    if cardinal is not None and isinstance(cardinal[0], int) and 1000 <= cardinal[0] <= 2999:
        return cardinal[0], cardinal[1]
    high = _two_digits(toks, i)
    if high is None:
        return None
    century, j = high
    if j < len(toks) and toks[j] == "hundred":
        return century * 100, j + 1
    if j + 1 < len(toks) and toks[j] in {"oh", "o", "zero"} and toks[j + 1] in UNITS and UNITS[toks[j + 1]] < 10:
        return century * 100 + UNITS[toks[j + 1]], j + 2
    low = _two_digits(toks, j)
    if low is None:
        return None
    year = century * 100 + low[0]
    return (year, low[1]) if 1000 <= year <= 2999 else None


def find_numbers(toks: list[str]) -> list[Number]:
    """Every number in the tokens, left to right, cardinal or ordinal, never overlapping."""
    found: list[Number] = []
    i = 0
    while i < len(toks):
        ordinal = read_ordinal(toks, i)
        if ordinal is not None:
            found.append(Number(i, ordinal[1], ordinal[0], ordinal=True))
            i = ordinal[1]
            continue
        cardinal = read_cardinal(toks, i)
        if cardinal is not None:
            found.append(Number(i, cardinal[1], cardinal[0]))
            i = cardinal[1]
            continue
        i += 1
    return found


def is_number_word(token: str) -> bool:
    return _is_number_word(token) or token in ORDINALS or bool(_DIGITS.fullmatch(token))
