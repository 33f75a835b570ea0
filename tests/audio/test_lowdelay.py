from __future__ import annotations

import numpy as np
import pytest

from voicecli.audio.lowdelay import LowDelayResampler
from voicecli.audio.reframer import Reframer
from voicecli.events import FRAME_BYTES

RATES = [8_000, 22_050, 32_000, 44_100, 48_000, 96_000]


def sine(rate: int, frequency: float, seconds: float = 1.0, amplitude: int = 10_000) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def level_db(rate: int, frequency: float) -> float:
    """Output level of a full-second tone relative to its input level (dB), after the start-up."""
    out = LowDelayResampler(rate, 16_000).resample_chunk(sine(rate, frequency)).astype(np.float64)[1600:]
    rms = float(np.sqrt(np.mean(out**2)))
    return 20 * np.log10(max(rms, 1e-3) / (10_000 / np.sqrt(2)))


def reference(rate: int, samples: np.ndarray) -> np.ndarray:
    """The textbook definition, in float64: zero-stuff by `up`, filter with the prototype, keep every
    `down`-th sample; the resampler must give the same (to one LSB of float32 rounding)."""
    resampler = LowDelayResampler(rate, 16_000)
    up, down, length = resampler.up, resampler.down, resampler.taps * resampler.up
    low = min(rate, 16_000)
    t = (np.arange(length) - (length - 1) / 2) / (rate * up)
    prototype = np.sinc(2 * (low / 2 - 0.05 * low) * t) * np.kaiser(length, 0.1102 * (80 - 8.7))
    prototype *= up / prototype.sum()
    stuffed = np.zeros(samples.size * up)
    stuffed[::up] = samples
    size = 1 << int(np.ceil(np.log2(stuffed.size + length)))  # convolution by FFT: up can be 320
    filtered = np.fft.irfft(np.fft.rfft(stuffed, size) * np.fft.rfft(prototype, size), size)
    filtered = filtered[: stuffed.size : down]
    return np.clip(np.rint(filtered), -32768, 32767).astype(np.int16)


@pytest.mark.parametrize("rate", RATES)
def test_output_is_the_textbook_polyphase_filter_whatever_the_block_split(rate: int) -> None:
    samples = np.random.default_rng(rate).normal(0, 4000, rate // 10).astype(np.int16)
    expected = reference(rate, samples)
    for block in (1, 97, rate // 50, samples.size):
        resampler = LowDelayResampler(rate, 16_000)
        got = np.concatenate([resampler.resample_chunk(samples[i : i + block])
                              for i in range(0, samples.size, block)])
        assert got.size == expected.size == 1_600
        assert np.max(np.abs(got.astype(int) - expected)) <= 1


@pytest.mark.parametrize("rate", [22_050, 32_000, 44_100, 48_000, 96_000])
def test_speech_band_passes_and_what_would_alias_is_80_db_down(rate: int) -> None:
    for frequency in (300, 1_000, 3_000, 6_000):
        assert abs(level_db(rate, frequency)) < 0.1
    for frequency in (8_500, 9_000, 11_025, 15_000, rate / 2 - 500):
        if 8_000 < frequency < rate / 2:
            assert level_db(rate, frequency) < -79


def test_nothing_is_held_back_a_20_ms_block_gives_a_20_ms_frame_at_once() -> None:
    for rate in (44_100, 48_000):
        reframer = Reframer(rate, quality="LD")
        for _ in range(50):
            assert len(reframer.push(np.zeros(rate // 50, np.int16))) == 1
        assert reframer.pending_samples == 0


def test_the_delay_is_the_filter_group_delay_under_two_milliseconds() -> None:
    rate = 48_000
    resampler = LowDelayResampler(rate, 16_000)
    assert resampler.delay_seconds < 0.002
    click = np.zeros(rate // 10, np.int16)
    click[2_400] = 30_000  # at 50 ms: 16 kHz sample 800
    out = resampler.resample_chunk(click)
    assert int(np.argmax(out)) == 800 + round(resampler.delay_seconds * 16_000)


def test_the_end_of_a_stream_drains_the_delayed_tail() -> None:
    resampler = LowDelayResampler(48_000, 16_000)
    body = resampler.resample_chunk(sine(48_000, 440, 0.1))
    tail = resampler.resample_chunk(np.zeros(0, np.int16), last=True)
    assert body.size == 1_600
    assert tail.size >= round(resampler.delay_seconds * 16_000)
    assert tail[: round(resampler.delay_seconds * 16_000)].any()  # the last of the tone


def test_reframer_ld_gives_exact_frames_and_flushes_everything() -> None:
    reframer = Reframer(44_100, quality="LD")
    frames = reframer.push(sine(44_100, 440, 0.5)) + reframer.flush()
    assert all(len(frame) == FRAME_BYTES for frame in frames)
    assert len(frames) == 26  # 25 frames of tone, then the filter's tail padded to a frame


def test_nonsense_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        LowDelayResampler(0, 16_000)
