"""Finding where speech ends, on the audio's own timeline."""

from __future__ import annotations

import numpy as np

from voicecli.speech.activity import SpeechEnd

RATE = 16_000


def burst(seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def test_silence_has_no_speech() -> None:
    tracker = SpeechEnd()
    tracker.push(quiet(1.0))
    assert not tracker.heard_speech
    assert tracker.trailing_quiet == RATE


def test_speech_end_is_the_end_of_the_last_loud_frame() -> None:
    tracker = SpeechEnd()
    tracker.push(np.concatenate([quiet(0.3), burst(1.0), quiet(0.5)]))
    assert tracker.heard_speech
    assert abs(tracker.voiced_end - int(1.3 * RATE)) <= 2 * 160 + 160  # smoothing reaches two frames on
    assert tracker.samples == int(1.8 * RATE)


def test_steady_noise_is_not_speech() -> None:
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 0.003, int(2.3 * RATE)).astype(np.float32)
    audio = noise + np.concatenate([quiet(0.5), burst(1.0, 0.1), quiet(0.8)])
    tracker = SpeechEnd()
    tracker.push(audio)
    assert abs(tracker.voiced_end - int(1.5 * RATE)) <= 3 * 160
    assert tracker.trailing_quiet >= int(0.7 * RATE)


def test_a_turn_that_starts_mid_word_is_speech() -> None:
    tracker = SpeechEnd()
    tracker.push(np.concatenate([burst(1.0), quiet(0.4)]))
    assert abs(tracker.voiced_end - RATE) <= 3 * 160


def test_pieces_of_any_size_give_the_same_answer() -> None:
    audio = np.concatenate([quiet(0.2), burst(0.5), quiet(0.3), burst(0.2), quiet(0.4)])
    whole, pieces = SpeechEnd(), SpeechEnd()
    whole.push(audio)
    for start in range(0, len(audio), 333):
        pieces.push(audio[start : start + 333])
    assert (pieces.voiced_end, pieces.samples) == (whole.voiced_end, whole.samples)
