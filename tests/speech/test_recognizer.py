"""The factory: offline recognition when the extra is installed, a one-line reason when not."""

from __future__ import annotations

import numpy as np

from voicecli.speech import INSTALL_COMMAND, SpeechRecognition, load_recognition
from voicecli.speech.recognizer import missing_modules, unavailable_reason
from voicecli.speech.whisper import Hypothesis


class Recording:
    def __init__(self) -> None:
        self.contexts: list[str] = []

    def transcribe(self, samples: np.ndarray, *, context: str = "") -> Hypothesis:
        self.contexts.append(context)
        return Hypothesis("set the thermostat to twenty one degrees")


def test_missing_modules_are_named() -> None:
    assert missing_modules(["voicecli_no_such_module_here", "json"]) == ["voicecli_no_such_module_here"]


def test_the_reason_is_one_line_naming_the_extra() -> None:
    reason = unavailable_reason(["ctranslate2"])
    assert "\n" not in reason
    assert "ctranslate2" in reason and INSTALL_COMMAND in reason and "voicecli[offline]" in reason


def test_load_recognition_says_what_it_found() -> None:
    recognition, line = load_recognition()
    if missing_modules():
        assert recognition is None and INSTALL_COMMAND in line
    else:
        assert isinstance(recognition, SpeechRecognition)
        assert "Whisper tiny.en" in line and "1 CPU thread" in line


def test_each_turn_gets_a_recognizer_biased_by_its_hints() -> None:
    fake = Recording()
    recognition = SpeechRecognition(transcriber=fake)
    turn = recognition.recognizer(["Amara Nwosu", "thermostat"])
    turn.feed(np.zeros(8000, "<i2").tobytes())
    assert turn.finish() == "set the thermostat to 21 degrees"
    plain = recognition.recognizer()
    plain.feed(np.zeros(8000, "<i2").tobytes())
    plain.finish()
    assert fake.contexts == ["Glossary: Amara Nwosu, thermostat.", ""]
