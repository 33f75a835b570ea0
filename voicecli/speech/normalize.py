"""Text clean-up: the transcript as the service prints it, and words as a word error rate counts them.

The Live service writes numbers as digits ("Set the thermostat to 21 degrees", "room 204") but
keeps small standalone numbers as words ("a table for four"). ``tidy_transcript`` does the same to
what the recogniser says. ``scoring_words`` is stricter: it puts both sides of a comparison in one
form (lower case, every number in digits, currency and percent spelled out, contractions expanded,
no punctuation), so a word error rate counts recognition mistakes rather than spelling conventions.
"""

from __future__ import annotations

import re

from voicecli.speech.numbers import Number, replace_number_words

_SPACES = re.compile(r"\s+")
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds"}
# Contractions count as their full forms, as Whisper's own evaluation normaliser counts them.
_CONTRACTIONS = (
    (r"\bcan't\b", "can not"), (r"\bwon't\b", "will not"), (r"\bain't\b", "is not"), (r"n't\b", " not"),
    (r"\bi'm\b", "i am"), (r"'re\b", " are"), (r"'ve\b", " have"), (r"'ll\b", " will"), (r"'d\b", " would"),
    (r"\b(it|that|what|there|here|he|she|who|where|how)'s\b", r"\1 is"), (r"\blet's\b", "let us"),
)  # fmt: skip


def _keep_small(numbers: list[Number]) -> bool:
    """Keep the words when the run is one small number said in one word ("four", "third")."""
    return len(numbers) == 1 and numbers[0].words == 1 and numbers[0].value < 10


def tidy_transcript(text: str) -> str:
    """The recogniser's text as the service would show it: digits for numbers, single spaces."""
    text = _SPACES.sub(" ", text).strip()
    return replace_number_words(text, _keep_small)


def scoring_words(text: str) -> list[str]:
    """``text`` as a list of comparable words (see the module docstring)."""
    text = text.lower().replace("’", "'")
    for pattern, replacement in _CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"([$€£])\s?(\d[\d,]*(?:\.\d+)?)", lambda m: f"{m.group(2)} {_CURRENCY[m.group(1)]}", text)
    text = re.sub(r"(\d)\s?%", r"\1 percent", text)
    text = re.sub(r"\b([ap])\.\s?m\.?", r"\1m", text)
    text = re.sub(r"(?<=\d)(am|pm)\b", r" \1", text)  # 4pm -> 4 pm
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000
    text = re.sub(r"(?<=\d)[:h](?=\d\d\b)", " ", text)  # 6:30 -> 6 30
    text = replace_number_words(text.replace("-", " "), lambda _numbers: False)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)  # keep the point of 3.5 only
    text = re.sub(r"[^\w\s.']", " ", text)
    return [word.strip("'") for word in text.split() if word.strip("'")]
