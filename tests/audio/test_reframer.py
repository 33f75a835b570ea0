from __future__ import annotations

import numpy as np
import pytest
import soxr

from voicecli.audio.reframer import Reframer, to_mono
from voicecli.errors import AudioError
from voicecli.events import FRAME_BYTES, FRAME_SAMPLES

RATES = [8_000, 16_000, 22_050, 32_000, 44_100, 48_000]
BLOCKS = [1, 97, 441, 882, 1_000, 4_801]


def lowpassed(rate: int, seconds: float) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    signal = 8000 * np.sin(2 * np.pi * 440 * t) + 4000 * np.sin(2 * np.pi * 1700 * t + 1.0)
    return signal.astype(np.int16)


def run(reframer: Reframer, samples: np.ndarray, block: int) -> list[bytes]:
    frames: list[bytes] = []
    for start in range(0, samples.size, block):
        frames += reframer.push(samples[start : start + block])
    return frames + reframer.flush()


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("block", BLOCKS)
def test_every_rate_and_block_size_gives_exact_frames_of_the_right_audio(rate: int, block: int) -> None:
    seconds = 0.5
    source = lowpassed(rate, seconds)
    frames = run(Reframer(rate), source, block)

    assert all(len(frame) == FRAME_BYTES for frame in frames)
    expected = np.asarray(soxr.resample(source, rate, 16_000, quality="LQ"), dtype=np.int16)
    assert len(frames) == -(-expected.size // FRAME_SAMPLES)  # everything out, padded to a whole frame
    got = np.frombuffer(b"".join(frames), dtype=np.int16)
    assert np.all(got[expected.size :] == 0)
    # Same audio as a one-shot resample of the whole signal, whatever the block split.
    assert np.max(np.abs(got[: expected.size].astype(int) - expected)) <= 2


def test_16k_input_passes_through_bit_exact() -> None:
    source = (np.arange(1000) * 37 % 2000 - 1000).astype(np.int16)
    frames = run(Reframer(16_000), source, 333)
    joined = np.frombuffer(b"".join(frames), dtype=np.int16)
    assert np.array_equal(joined[:1000], source)
    assert np.all(joined[1000:] == 0)


def test_frames_wait_in_the_buffer_until_whole() -> None:
    reframer = Reframer(16_000)
    assert reframer.push(np.zeros(319, np.int16)) == []
    assert reframer.pending_samples == 319
    assert len(reframer.push(np.zeros(2, np.int16))) == 1
    assert reframer.pending_samples == 1


def test_stereo_is_mixed_down_by_averaging() -> None:
    interleaved = np.array([100, 300, -50, -150, 32767, 32767], dtype=np.int16)
    assert to_mono(interleaved, 2).tolist() == [200, -100, 32767]
    assert to_mono(interleaved.reshape(-1, 2), 2).tolist() == [200, -100, 32767]
    assert to_mono(interleaved.tobytes(), 2).tolist() == [200, -100, 32767]


def test_a_block_that_does_not_split_into_channels_is_refused() -> None:
    with pytest.raises(AudioError, match="3 samples"):
        to_mono(np.zeros(3, np.int16), 2)


def test_nonsense_formats_are_refused() -> None:
    with pytest.raises(AudioError, match="unsupported audio format"):
        Reframer(0)
