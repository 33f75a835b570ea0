"""One user turn, recognised while it is spoken: a worker thread runs passes as the audio arrives.

Whisper is not a streaming model, so each pass reads the whole turn so far. The pacing decides
when a pass runs:

* while the user speaks, one pass per ``partial_every_s`` of new audio, for partial transcripts
  (off by default: a partial pass still running when the speech ends delays the last one);
* as soon as ``quiet_after_s`` of quiet follows speech, a pass over everything so far: by the time
  the turn is declared over (server VAD or the client's activity end, half a second of silence
  later by default), the final transcript is usually ready, and ``finish`` returns at once;
* on ``finish``, a last pass only if no finished or running pass covers the end of the speech.

``partial`` only grows: a word is committed once two passes in a row agree on it (and it was not
among the last two words of the older pass, heard at the edge of its audio); trailing number words
wait, since "twenty" may become "21". Each pass still reads the turn afresh, with no forced prefix:
forcing made an early mistake (a glossary name guessed from half a word) permanent, so the final
transcript usually, but not always, starts with the last ``partial``.

A turn longer than one Whisper window is cut at its quietest moment near the limit; the part
before the cut is transcribed once and kept.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voicecli.speech.activity import FRAME_SAMPLES, SpeechEnd
from voicecli.speech.mel import SAMPLE_RATE
from voicecli.speech.normalize import tidy_transcript
from voicecli.speech.numbers import NUMBER_WORDS
from voicecli.speech.whisper import Hypothesis


class Transcriber(Protocol):
    def transcribe(self, samples: np.ndarray, *, context: str = "") -> Hypothesis: ...


class RecognitionError(RuntimeError):
    """The recogniser failed (for example the model could not be loaded); the cause is chained."""


@dataclass(frozen=True)
class Pacing:
    """When passes run; see the module docstring. ``partial_every_s=0`` means no partial passes."""

    partial_every_s: float = 0.0
    quiet_after_s: float = 0.15
    max_segment_s: float = 27.0
    cut_search_s: float = 5.0  # where to look for the quietest moment before a long turn's cut


@dataclass(frozen=True)
class _Pass:
    start: int
    end: int
    closing: bool = False  # transcribes a long turn's first part for good


@dataclass(frozen=True)
class _Result:
    end: int
    words: list[str]


_HOLD_BACK = NUMBER_WORDS | {"and", "point", "oh"}


class IncrementalRecognizer:
    """A ``Recognizer`` for one turn over any ``Transcriber``; feed from any thread, finish once."""

    def __init__(self, transcriber: Transcriber, *, context: str = "", pacing: Pacing | None = None) -> None:
        self._transcriber = transcriber
        self._context = context
        self._pacing = pacing or Pacing()
        self._cond = threading.Condition()
        self._pcm = bytearray()
        self._odd = b""
        self._activity = SpeechEnd()
        self._segment_start = 0
        self._closed_text: list[str] = []
        self._committed: list[str] = []
        self._previous_words: list[str] | None = None
        self._result: _Result | None = None
        self._running: _Pass | None = None
        self._last_planned_end = 0
        self._finishing = False
        self._done = False
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self.passes = 0  # how many passes ran, for benches and tests

    # -- the Recognizer interface --------------------------------------------------------------

    def feed(self, pcm16k: bytes) -> None:
        """Append PCM16 little-endian mono 16 kHz audio. Cheap: the work happens on the worker."""
        data = self._odd + bytes(pcm16k)
        whole = len(data) // 2 * 2
        self._odd = data[whole:]
        if not whole:
            return
        samples = np.frombuffer(data[:whole], dtype="<i2").astype(np.float32) / 32768.0
        with self._cond:
            if self._done or self._finishing:
                return
            self._pcm += data[:whole]
            self._activity.push(samples)
            self._ensure_worker()
            self._cond.notify_all()

    def partial(self) -> str:
        """Words two passes in a row agreed on (empty until then); see the module docstring."""
        with self._cond:
            return self._joined(self._committed_text())

    def finish(self, timeout: float | None = None) -> str:
        """The final transcript. Blocks until a pass covers the end of the speech.

        Raises RecognitionError if the transcriber failed, TimeoutError after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._finishing = True
            self._ensure_worker()
            self._cond.notify_all()
            while self._error is None and not self._final_ready():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    self._done = True
                    self._cond.notify_all()
                    raise TimeoutError("speech recognition did not finish in time")
                self._cond.wait(remaining)
            self._done = True
            self._cond.notify_all()
            if self._error is not None:
                raise RecognitionError(f"speech recognition failed: {self._error}") from self._error
            return self._joined(self._final_text())

    def close(self) -> None:
        """Abandon the turn (barge-in, session end): no further passes; a running one is discarded."""
        with self._cond:
            self._done = True
            self._cond.notify_all()

    # -- the worker ----------------------------------------------------------------------------

    def _ensure_worker(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="speech-recognition", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                plan = self._plan()
                while plan is None:
                    if self._done:
                        return
                    self._cond.wait()
                    plan = self._plan()
                self._running = plan
                self._last_planned_end = plan.end if not plan.closing else self._last_planned_end
                samples = np.frombuffer(bytes(self._pcm[plan.start * 2 : plan.end * 2]), dtype="<i2")
            try:
                hypothesis = self._transcriber.transcribe(samples.astype(np.float32) / 32768.0, context=self._context)
            except Exception as error:  # reported by finish(); the worker stops
                with self._cond:
                    self._error = error
                    self._running = None
                    self._cond.notify_all()
                return
            with self._cond:
                self.passes += 1
                self._running = None
                self._record(plan, hypothesis)
                self._cond.notify_all()

    def _plan(self) -> _Pass | None:
        """The next pass to run, or None to wait. Called with the lock held."""
        if self._done or self._running is not None:
            return None
        total = len(self._pcm) // 2
        rate = SAMPLE_RATE
        if total - self._segment_start > self._pacing.max_segment_s * rate:
            return _Pass(self._segment_start, self._cut_point(), closing=True)
        if self._finishing:
            return None if self._final_ready() else _Pass(self._segment_start, total)
        if not self._activity.heard_speech or self._activity.voiced_end <= self._segment_start:
            return None
        quiet_enough = self._activity.trailing_quiet >= self._pacing.quiet_after_s * rate
        if quiet_enough and self._activity.voiced_end > self._last_planned_end:
            return _Pass(self._segment_start, total)
        every = self._pacing.partial_every_s * rate
        if every > 0 and total - max(self._last_planned_end, self._segment_start) >= every:
            return _Pass(self._segment_start, total)
        return None

    def _cut_point(self) -> int:
        """The quietest 10 ms within ``cut_search_s`` before the segment limit."""
        limit = self._segment_start + int(self._pacing.max_segment_s * SAMPLE_RATE)
        search = max(self._segment_start, limit - int(self._pacing.cut_search_s * SAMPLE_RATE))
        window = np.frombuffer(bytes(self._pcm[search * 2 : limit * 2]), dtype="<i2").astype(np.float64)
        frames = len(window) // FRAME_SAMPLES
        if frames == 0:
            return limit
        energy = (window[: frames * FRAME_SAMPLES].reshape(frames, FRAME_SAMPLES) ** 2).mean(axis=1)
        return search + int(np.argmin(energy)) * FRAME_SAMPLES + FRAME_SAMPLES // 2

    def _record(self, plan: _Pass, hypothesis: Hypothesis) -> None:
        words = hypothesis.text.split()
        if plan.closing:
            text = tidy_transcript(" ".join(words))
            if text:
                self._closed_text.append(text)
            self._segment_start = plan.end
            self._committed, self._previous_words, self._result = [], None, None
            self._last_planned_end = max(self._last_planned_end, plan.end)
            return
        if self._result is None or plan.end >= self._result.end:
            self._result = _Result(plan.end, words)
        if self._previous_words is not None:
            agreed = _agreed_prefix(self._previous_words, words)
            same = [_comparable(w) for w in agreed[: len(self._committed)]] == [_comparable(w) for w in self._committed]
            if len(agreed) > len(self._committed) and same:
                self._committed = agreed
        self._previous_words = words

    # -- texts ---------------------------------------------------------------------------------

    def _final_ready(self) -> bool:
        """A finished pass covers the speech: it ended at or after the last voiced frame (or all audio)."""
        if self._running is not None and self._running.closing:
            return False
        total = len(self._pcm) // 2
        if total - self._segment_start > self._pacing.max_segment_s * SAMPLE_RATE:
            return False
        if total <= self._segment_start:
            return True  # nothing (more) was said
        needed = self._activity.voiced_end if self._activity.voiced_end > self._segment_start else total
        return self._result is not None and self._result.end >= needed

    def _committed_text(self) -> list[str]:
        return [*self._closed_text, tidy_transcript(" ".join(self._committed))]

    def _final_text(self) -> list[str]:
        words = self._result.words if self._result is not None else []
        return [*self._closed_text, tidy_transcript(" ".join(words))]

    @staticmethod
    def _joined(parts: list[str]) -> str:
        return " ".join(p for p in parts if p)


def _comparable(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def _agreed_prefix(older: list[str], newer: list[str]) -> list[str]:
    """Words of ``newer`` that ``older`` also began with, minus any cut-off or number words at the end."""
    count = 0
    for old, new in zip(older, newer, strict=False):
        if _comparable(old) != _comparable(new):
            break
        count += 1
    # The older pass's last words were at the edge of its audio, where a glossary name or a
    # half-heard word is most often guessed: two passes agreeing there is not enough.
    count = min(count, len(older) - 2)
    agreed = newer[: max(count, 0)]
    while agreed and (_comparable(agreed[-1]) in _HOLD_BACK or any(c.isdigit() for c in agreed[-1])):
        agreed.pop()
    return agreed
