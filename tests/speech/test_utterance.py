"""One turn recognised while it is spoken, over a fake transcriber (no model needed)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from voicecli.speech.utterance import IncrementalRecognizer, Pacing, RecognitionError, _agreed_prefix
from voicecli.speech.whisper import Hypothesis

RATE = 16_000
WORDS = "please call margaret about the twenty one reports before friday and then book a room for us".split()  # noqa: SIM905


class FakeTranscriber:
    """Says two words per second of audio it is given, and records what it was asked."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[int, str]] = []
        self.fail = fail
        self.lock = threading.Lock()

    def transcribe(self, samples: np.ndarray, *, context: str = "") -> Hypothesis:
        with self.lock:
            self.calls.append((len(samples), context))
        if self.fail:
            raise OSError("model file unreadable")
        return Hypothesis(" ".join(WORDS[: int(len(samples) / RATE * 2)]))


def speech(seconds: float) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    return (8000 * np.sin(2 * np.pi * 200 * t)).astype("<i2").tobytes()


def silence(seconds: float) -> bytes:
    return bytes(int(seconds * RATE) * 2)


def wait_until(condition: Callable[[], bool]) -> None:
    event = threading.Event()
    for _ in range(500):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("condition not reached")


def more_passes_than(recognizer: IncrementalRecognizer, count: int) -> Callable[[], bool]:
    return lambda: recognizer.passes > count


def test_no_audio_gives_an_empty_transcript_without_a_pass() -> None:
    fake = FakeTranscriber()
    recognizer = IncrementalRecognizer(fake)
    assert recognizer.finish() == ""
    assert fake.calls == []


def test_finish_recognises_what_was_fed() -> None:
    fake = FakeTranscriber()
    recognizer = IncrementalRecognizer(fake, context="Glossary: Margaret.")
    recognizer.feed(speech(3.0))
    assert recognizer.finish() == "please call margaret about the 20"
    assert fake.calls == [(3 * RATE, "Glossary: Margaret.")]


def test_transcript_is_tidied() -> None:
    recognizer = IncrementalRecognizer(FakeTranscriber())
    recognizer.feed(speech(3.5))
    assert recognizer.finish() == "please call margaret about the 21"


def test_a_pass_starts_in_the_quiet_after_speech_and_finish_reuses_it() -> None:
    fake = FakeTranscriber()
    recognizer = IncrementalRecognizer(fake)
    recognizer.feed(silence(0.3) + speech(2.0) + silence(0.2))
    wait_until(lambda: recognizer.passes == 1)
    recognizer.feed(silence(0.3))  # the rest of the hangover: quiet, so nothing new to hear
    assert recognizer.finish() == "please call margaret about the"
    assert recognizer.passes == 1


def test_speech_after_the_early_pass_is_recognised_too() -> None:
    fake = FakeTranscriber()
    recognizer = IncrementalRecognizer(fake)
    recognizer.feed(silence(0.3) + speech(1.0) + silence(0.2))
    wait_until(lambda: recognizer.passes == 1)
    recognizer.feed(speech(1.5))
    text = recognizer.finish()
    assert recognizer.passes == 2
    assert text == "please call margaret about the 20"  # 3 s of audio, tidied


def test_no_pass_before_any_speech() -> None:
    fake = FakeTranscriber()
    recognizer = IncrementalRecognizer(fake, pacing=Pacing(partial_every_s=0.5))
    recognizer.feed(silence(2.0))
    assert recognizer.partial() == ""
    recognizer.finish()  # the final pass reads the audio anyway: quiet speech may escape the detector
    assert len(fake.calls) == 1


def test_partial_passes_commit_words_two_passes_agree_on() -> None:
    recognizer = IncrementalRecognizer(FakeTranscriber(), pacing=Pacing(partial_every_s=1.0))
    seen = []
    for _ in range(5):
        recognizer.feed(speech(1.0))
        wait_until(more_passes_than(recognizer, recognizer.passes))
        seen.append(recognizer.partial())
    final = recognizer.finish()
    assert seen[-1] == "please call margaret about the"  # "twenty" waits: it could still become 21
    for earlier, later in zip(seen, seen[1:], strict=False):
        assert later.startswith(earlier)
    assert final.startswith(seen[-1])


@pytest.mark.parametrize(
    ("older", "newer", "agreed"),
    [
        (["a", "b", "c", "d"], ["a", "b", "c", "d", "e"], ["a", "b"]),  # not the older pass's last two words
        (["a", "b", "x", "d", "e", "f"], ["a", "b", "c", "d", "e", "f", "g"], ["a", "b"]),
        (["Set", "the"], ["set", "the", "thermostat"], []),
        (["set", "the", "temperature", "to", "twenty", "one"],
         ["set", "the", "temperature", "to", "twenty", "one", "degrees"],
         ["set", "the", "temperature", "to"]),  # "twenty" waits: it may become 21
        (["call", "me", "at", "5", "please"], ["call", "me", "at", "5", "please", "now"], ["call", "me", "at"]),
    ],
)
def test_agreement(older: list[str], newer: list[str], agreed: list[str]) -> None:
    assert _agreed_prefix(older, newer) == agreed


def test_a_failing_transcriber_is_reported_by_finish() -> None:
    recognizer = IncrementalRecognizer(FakeTranscriber(fail=True))
    recognizer.feed(speech(1.0))
    with pytest.raises(RecognitionError, match="model file unreadable"):
        recognizer.finish()


def test_close_stops_the_worker_and_feed_is_ignored_after() -> None:
    fake = FakeTranscriber()
    recognizer = IncrementalRecognizer(fake)
    recognizer.feed(speech(1.0))
    recognizer.close()
    assert recognizer._thread is not None
    recognizer._thread.join(timeout=10)
    assert not recognizer._thread.is_alive()
    calls = len(fake.calls)
    recognizer.feed(speech(1.0) + silence(1.0))
    assert len(fake.calls) == calls


def test_odd_sized_pieces_are_joined() -> None:
    fake = FakeTranscriber()
    recognizer = IncrementalRecognizer(fake)
    audio = speech(1.0)
    for start in range(0, len(audio), 333):
        recognizer.feed(audio[start : start + 333])
    recognizer.finish()
    assert fake.calls[-1][0] == RATE


def test_a_long_turn_is_cut_into_windows() -> None:
    fake = FakeTranscriber()
    recognizer = IncrementalRecognizer(fake, pacing=Pacing(max_segment_s=2.0, cut_search_s=1.0))
    audio = speech(1.5) + silence(0.2) + speech(1.5) + silence(0.2) + speech(1.5)
    recognizer.feed(audio)
    text = recognizer.finish()
    assert all(length <= 2 * RATE for length, _ in fake.calls)
    assert sum(length for length, _ in fake.calls) == len(audio) // 2  # each part heard once, cut in the gaps
    assert text == "please call margaret please call margaret please call margaret"


def test_finish_can_time_out() -> None:
    release = threading.Event()

    class Slow(FakeTranscriber):
        def transcribe(self, samples: np.ndarray, *, context: str = "") -> Hypothesis:
            release.wait(10)
            return super().transcribe(samples, context=context)

    recognizer = IncrementalRecognizer(Slow())
    recognizer.feed(speech(1.0))
    with pytest.raises(TimeoutError):
        recognizer.finish(timeout=0.05)
    release.set()
