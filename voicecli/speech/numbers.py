"""Spelled-out English numbers to digits: ``twenty one`` -> 21, ``two hundred and four`` -> 204.

A run of number words may hold several numbers (``six thirty`` is 6 and 30, ``nineteen ninety`` is
19 and 90): a new number starts wherever the words cannot continue the current one, the way a
listener splits them. ``and`` belongs to a number only after ``hundred`` or a larger scale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SMALL = {word: value for value, word in enumerate(_UNITS + _TEENS)}
_TEN = {word: 20 + 10 * index for index, word in enumerate(_TENS)}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
    "eightieth": 80, "ninetieth": 90, "hundredth": 100, "thousandth": 1_000, "millionth": 1_000_000,
}  # fmt: skip
NUMBER_WORDS = set(_SMALL) | set(_TEN) | set(_SCALES) | set(_ORDINALS)

_WORD = r"[A-Za-z]+"
# Words joined by spaces or hyphens; punctuation ends a run, so "5, 6" stays two runs.
_RUN = re.compile(rf"\b{_WORD}(?:[ -]+{_WORD})*\b")


@dataclass(frozen=True)
class Number:
    """One number read from words: its value, whether it was an ordinal, and how many words it used."""

    value: int
    ordinal: bool
    words: int

    def digits(self) -> str:
        if not self.ordinal:
            return str(self.value)
        suffix = "th" if 10 <= self.value % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(self.value % 10, "th")
        return f"{self.value}{suffix}"


class _Reader:
    """Builds numbers word by word; ``feed`` says whether a word continued the current number."""

    def __init__(self) -> None:
        self.numbers: list[Number] = []
        self._total = 0
        self._current = 0
        self._words = 0
        self._last = ""  # "unit", "teen", "tens", "hundred", "scale"

    def feed(self, word: str) -> None:
        kind, value = _kind(word)
        if self._words and not _continues(self._last, kind, self._current):
            self.close()
        if kind in {"unit", "teen", "tens"}:
            self._current += value
        elif kind == "hundred":
            self._current = (self._current or 1) * 100
        elif kind == "scale":
            self._total += (self._current or 1) * value
            self._current = 0
        self._words += 1
        self._last = kind
        if word in _ORDINALS:
            self.close(ordinal=True)

    def close(self, *, ordinal: bool = False) -> None:
        if self._words:
            self.numbers.append(Number(self._total + self._current, ordinal, self._words))
        self._total = self._current = self._words = 0
        self._last = ""


def _kind(word: str) -> tuple[str, int]:
    if word in _ORDINALS:
        value = _ORDINALS[word]
        if value >= 1_000:
            return "scale", value
        if value == 100:
            return "hundred", value
        return ("unit" if value < 10 else "teen" if value < 20 else "tens"), value
    if word in _SMALL:
        value = _SMALL[word]
        return ("unit" if value < 10 else "teen"), value
    if word in _TEN:
        return "tens", _TEN[word]
    if word == "hundred":
        return "hundred", 100
    return "scale", _SCALES[word]


def _continues(last: str, kind: str, current: int) -> bool:
    if kind == "unit":
        return last in {"tens", "hundred", "scale"}
    if kind in {"teen", "tens"}:
        return last in {"hundred", "scale"}
    if kind == "hundred":
        return last in {"unit", "teen", "tens"} and current < 100
    return last in {"unit", "teen", "tens", "hundred"}


def read_numbers(words: list[str]) -> list[Number]:
    """The numbers spelled by ``words`` (all lower-case number words, ``and`` already removed)."""
    reader = _Reader()
    for word in words:
        reader.feed(word)
    reader.close()
    return reader.numbers


def replace_number_words(text: str, keep: Callable[[list[Number]], bool]) -> str:
    """Replace each run of number words in ``text`` with digits, unless ``keep(numbers)`` is true.

    A run is split back into words where a non-number word interrupts it; ``and`` is a number word
    only between two number words, right after ``hundred`` or a larger scale.
    """

    def substitute(match: re.Match[str]) -> str:
        return _substitute_run(match.group(0), keep)

    return _RUN.sub(substitute, text)


def _substitute_run(run: str, keep: Callable[[list[Number]], bool]) -> str:
    tokens = re.split(r"([ -]+)", run)
    words, separators = tokens[0::2], tokens[1::2]
    out: list[str] = []
    group: list[str] = []  # number words of the current group, original spelling
    group_seps: list[str] = []

    def flush() -> None:
        if not group:
            return
        lowered = [w.lower() for w in group if w.lower() != "and"]
        numbers = read_numbers(lowered)
        if keep(numbers):
            out.append(_join(group, group_seps))
        else:
            out.append(" ".join(n.digits() for n in numbers))
        group.clear()
        group_seps.clear()

    for index, word in enumerate(words):
        lower = word.lower()
        after_scale = bool(group) and group[-1].lower() in {"hundred", *_SCALES}
        following = words[index + 1].lower() if index + 1 < len(words) else ""
        is_number = lower in NUMBER_WORDS or (lower == "and" and after_scale and following in NUMBER_WORDS)
        separator = separators[index - 1] if index else ""
        if is_number:
            if group:
                group_seps.append(separator)
            elif out:
                out.append(separator)
            group.append(word)
            continue
        flush()
        if out:
            out.append(separator)
        out.append(word)
    flush()
    return "".join(out)


def _join(words: list[str], separators: list[str]) -> str:
    parts = [words[0]]
    for separator, word in zip(separators, words[1:], strict=True):
        parts += [separator, word]
    return "".join(parts)
