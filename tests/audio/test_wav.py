from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import soxr

from voicecli.audio.levels import SILENCE_DBFS
from voicecli.audio.wav import WavSink, WavSource, read_wav
from voicecli.errors import AudioError, StorageError
from voicecli.events import FRAME_BYTES


def write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1, width: int = 2) -> None:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(samples.tobytes())


def sweep(rate: int, seconds: float) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (9000 * np.sin(2 * np.pi * (200 + 1500 * t) * t)).astype(np.int16)


async def collect(source: WavSource) -> list[bytes]:
    async with source:
        return [frame async for frame in source.frames()]


async def test_a_stereo_44k_file_becomes_16k_frames_of_the_same_audio(tmp_path: Path) -> None:
    mono = sweep(44_100, 1.0)
    write_wav(tmp_path / "in.wav", np.stack([mono, mono], axis=1), 44_100, channels=2)

    frames = await collect(WavSource(tmp_path / "in.wav", realtime=False))

    assert all(len(frame) == FRAME_BYTES for frame in frames)
    assert len(frames) == 50
    got = np.frombuffer(b"".join(frames), np.int16)[:16_000]
    expected = soxr.resample(mono, 44_100, 16_000, quality="LQ")
    assert np.max(np.abs(got.astype(int) - expected)) <= 2


async def test_level_follows_the_frames(tmp_path: Path) -> None:
    write_wav(tmp_path / "quiet.wav", np.zeros(1600, np.int16), 16_000)
    source = WavSource(tmp_path / "quiet.wav", realtime=False)
    assert len(await collect(source)) == 5
    assert source.level_dbfs == SILENCE_DBFS


@pytest.mark.parametrize(("width", "raw", "expected"), [
    (1, np.array([0, 128, 255], np.uint8), [-32768, 0, 32512]),
    (4, np.array([-65536, 0, 2**31 - 1], "<i4"), [-1, 0, 32767]),
])
def test_other_sample_widths_are_converted_to_16_bit(
    tmp_path: Path, width: int, raw: np.ndarray, expected: list[int]
) -> None:
    write_wav(tmp_path / "w.wav", raw, 8000, width=width)
    samples, rate, channels = read_wav(tmp_path / "w.wav")
    assert (samples.tolist(), rate, channels) == (expected, 8000, 1)


def test_24_bit_samples_keep_their_top_16_bits(tmp_path: Path) -> None:
    values = [-8388608, -256, 0, 0x123456]
    raw = b"".join(v.to_bytes(3, "little", signed=True) for v in values)
    with wave.open(str(tmp_path / "w.wav"), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(3)
        writer.setframerate(16_000)
        writer.writeframes(raw)
    assert read_wav(tmp_path / "w.wav")[0].tolist() == [-32768, -1, 0, 0x1234]


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not found"):
        read_wav(tmp_path / "nope.wav")


def test_a_file_that_is_not_a_wav_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.wav").write_text("hello")
    with pytest.raises(AudioError, match="cannot read") as caught:
        read_wav(tmp_path / "x.wav")
    assert caught.value.hint


async def test_sink_round_trip_is_bit_exact_with_the_tail_padding(tmp_path: Path) -> None:
    reply = sweep(24_000, 0.3).tobytes()
    async with WavSink(tmp_path / "out.wav", tail_pad_seconds=0.1) as sink:
        sink.play(reply[:4000])
        sink.play(reply[4000:])
        assert sink.played_seconds == pytest.approx(0.3)
        sink.end_reply()
        await sink.drain()
        assert sink.played_seconds == pytest.approx(0.3)
        sink.play(reply[:480])
        assert sink.flush() == pytest.approx(0.01)
    samples, rate, channels = read_wav(tmp_path / "out.wav")
    assert (rate, channels) == (24_000, 1)
    assert samples.tobytes() == reply + bytes(4800) + reply[:480]


async def test_sink_in_an_unwritable_place_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StorageError, match=f"cannot write WAV file {tmp_path / 'file' / 'out.wav'}"):
        async with WavSink(tmp_path / "file" / "out.wav"):
            pass
