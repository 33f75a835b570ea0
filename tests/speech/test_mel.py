"""Whisper's log-Mel features, computed with numpy."""

from __future__ import annotations

import numpy as np
import pytest

from voicecli.speech.mel import N_MELS, SAMPLE_RATE, log_mel, mel_filters


def tone(hz: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_shape_and_type_follow_the_frames_asked_for() -> None:
    features = log_mel(tone(440, 1.0), 150)
    assert features.shape == (N_MELS, 150) and features.dtype == np.float32 and features.flags.c_contiguous
    assert log_mel(tone(440, 1.0), 50).shape == (N_MELS, 50)  # audio longer than the frames is cut


def test_silence_is_one_flat_value() -> None:
    features = log_mel(np.zeros(0, np.float32), 100)
    assert np.ptp(features) == 0


def test_a_tone_lights_the_band_that_holds_its_frequency() -> None:
    features = log_mel(tone(1000, 1.0), 100)
    loudest_band = int(np.argmax(features[:, 50]))
    centre_weights = mel_filters()[:, round(1000 / (SAMPLE_RATE / 400))]  # the FFT bin of 1 kHz
    assert loudest_band in np.argsort(centre_weights)[-2:]


def test_values_span_at_most_eight_decades_scaled() -> None:
    features = log_mel(np.concatenate([tone(300, 0.5), np.zeros(8000, np.float32)]), 100)
    assert features.max() - features.min() == pytest.approx(2.0, abs=1e-5)  # 8 decades / 4


def test_filters_have_unit_area_scaling() -> None:
    filters = mel_filters()
    assert filters.shape == (N_MELS, 201)
    assert (filters >= 0).all() and (filters.sum(axis=1) > 0).all()


def test_frames_must_be_positive() -> None:
    with pytest.raises(ValueError):
        log_mel(tone(440, 0.1), 0)
