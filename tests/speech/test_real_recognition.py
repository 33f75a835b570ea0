"""Real recognition of espeak-ng speech with the bundled model (skipped without voicecli[offline])."""

from __future__ import annotations

import re

import pytest

from voicecli.speech import load_recognition, session_hints, word_error_rate
from voicecli.speech.recognizer import missing_modules, unavailable_reason
from voicecli.speech.tts import synthesize

pytestmark = pytest.mark.skipif(bool(missing_modules()), reason=unavailable_reason(missing_modules()))

SENTENCES = (
    "Set the thermostat to 21 degrees.",
    "My favorite number is 42.",
    "Please book a table for Priya Sharma on Friday.",
)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_espeak_sentences_are_recognised(sentence: str) -> None:
    recognition, _ = load_recognition()
    assert recognition is not None
    tools = [{"name": "book_table"}, {"name": "set_thermostat"}]
    hints = session_hints("You book tables for Priya Sharma and Tom Ellis.", tools)
    turn = recognition.recognizer(hints)
    pcm = bytes(9600) + synthesize(sentence, rate=16_000) + bytes(16_000)  # pre-roll, speech, hangover
    for start in range(0, len(pcm), 640):
        turn.feed(pcm[start : start + 640])
    text = turn.finish()
    assert word_error_rate(sentence, text) <= 0.2, text
    for number in re.findall(r"\d+", sentence):
        assert number in text.split(" ") or f"{number}." in text  # digits, as the service prints them
