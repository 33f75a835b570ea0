"""Offline speech recognition for user turns, shared by the emulator and the client.

``recognizer`` is the entry point (interface and factory); ``utterance`` recognises one turn while
it is spoken; ``whisper`` is the engine (Whisper tiny.en on CTranslate2, from the optional extra
``voicecli[offline]``); ``mel`` and ``bpe`` are its features and tokenizer; ``activity`` finds the end
of speech; ``hints`` builds the bias from the session's words; ``normalize``, ``numbers`` and ``wer``
tidy and score text; ``tts`` speaks text with espeak-ng. Nothing here imports the optional modules
until a model is loaded.
"""

from voicecli.speech.hints import bias_prompt, session_hints
from voicecli.speech.normalize import scoring_words, tidy_transcript
from voicecli.speech.recognizer import (
    EXTRA,
    INSTALL_COMMAND,
    Recognizer,
    SpeechRecognition,
    load_recognition,
)
from voicecli.speech.utterance import IncrementalRecognizer, Pacing, RecognitionError
from voicecli.speech.wer import WordErrors, word_error_rate, word_errors

__all__ = [
    "EXTRA",
    "INSTALL_COMMAND",
    "IncrementalRecognizer",
    "Pacing",
    "RecognitionError",
    "Recognizer",
    "SpeechRecognition",
    "WordErrors",
    "bias_prompt",
    "load_recognition",
    "scoring_words",
    "session_hints",
    "tidy_transcript",
    "word_error_rate",
    "word_errors",
]
