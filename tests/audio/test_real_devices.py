"""The real PortAudio -> ALSA -> PulseAudio path, on the virtual devices of scripts/virtual-audio.sh."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soxr

from voicecli.audio import Microphone, Speaker
from voicecli.events import FRAME_BYTES

pytestmark = pytest.mark.audio

MIC_FEED_RATE = 48_000


def best_alignment(recorded: np.ndarray, reference: np.ndarray) -> tuple[int, float]:
    """Lag of ``reference`` inside ``recorded`` and the normalised correlation there (FFT based)."""
    size = 1 << int(np.ceil(np.log2(recorded.size + reference.size)))
    cross = np.fft.irfft(np.fft.rfft(recorded, size) * np.conj(np.fft.rfft(reference, size)), size)
    lag = int(np.argmax(cross[: recorded.size - reference.size + 1]))
    return lag, correlation(recorded[lag : lag + reference.size], reference)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))


def best_subsample_correlation(recorded: np.ndarray, reference: np.ndarray) -> float:
    """Correlation at the best alignment to a tenth of a sample.

    The device path runs at 44.1 or 48 kHz, so the capture delay is rarely a whole number of 16 kHz
    samples; a third of a sample off alone costs about 1% of correlation on speech.
    """
    lag, _ = best_alignment(recorded, reference)
    window = recorded[lag : lag + reference.size]
    spectrum, freqs = np.fft.rfft(reference), np.fft.rfftfreq(reference.size)
    return max(
        correlation(window, np.fft.irfft(spectrum * np.exp(-2j * np.pi * freqs * shift), reference.size))
        for shift in np.linspace(-1, 1, 21)
    )


class FifoReader:
    """Collects what the virtual speaker plays, from the pipe sink's FIFO."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        while True:  # throw away whatever was played before this test
            try:
                if not os.read(self._fd, 1 << 16):
                    break
            except BlockingIOError:
                break
        self._chunks: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                self._stop.wait(0.005)
                continue
            if chunk:
                self._chunks.append(chunk)

    def stop(self) -> npt.NDArray[np.int16]:
        self._stop.set()
        self._thread.join()
        os.close(self._fd)
        data = b"".join(self._chunks)
        return np.frombuffer(data[: len(data) // 2 * 2], np.int16)


def tone(seconds: float, amplitude: int = 12_000) -> npt.NDArray[np.int16]:
    t = np.arange(round(24_000 * seconds)) / 24_000
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


async def test_speech_into_the_virtual_mic_comes_out_as_16k_frames(
    virtual_audio: Path, speech_16k: npt.NDArray[np.int16]
) -> None:
    feed = np.asarray(soxr.resample(speech_16k, 16_000, MIC_FEED_RATE, quality="VHQ"), dtype=np.int16)
    frames: list[bytes] = []
    fed, capturing = asyncio.Event(), asyncio.Event()

    async def capture(mic: Microphone) -> None:
        after_feed = 0
        async for frame in mic.frames():
            frames.append(frame)
            if len(frames) == 10:
                capturing.set()
            after_feed += fed.is_set()
            if after_feed == 25:  # 500 ms after the feed has been written
                return

    async with Microphone() as mic, asyncio.TaskGroup() as tasks:
        tasks.create_task(capture(mic))
        await capturing.wait()  # 200 ms of capture before the speech starts
        player = await asyncio.create_subprocess_exec(
            "pacat", "-d", "micfeed", "--raw", "--format=s16le", f"--rate={MIC_FEED_RATE}", "--channels=1",
            stdin=subprocess.PIPE)
        await player.communicate(feed.tobytes())
        fed.set()
    assert all(len(frame) == FRAME_BYTES for frame in frames)
    assert mic.overflows == 0
    recorded = np.frombuffer(b"".join(frames), np.int16).astype(np.float64)
    assert best_subsample_correlation(recorded, speech_16k.astype(np.float64)) >= 0.99


async def test_a_tone_through_the_speaker_arrives_bit_exact(virtual_audio: Path) -> None:
    reference = tone(0.5)
    reader = FifoReader(virtual_audio / "speaker.fifo")
    async with Speaker() as speaker:
        assert speaker.samplerate == 24_000
        speaker.play(reference.tobytes())
        speaker.end_reply()
        await speaker.drain()
        assert speaker.played_seconds == pytest.approx(0.5)
        await asyncio.sleep(0.1)
    played = reader.stop()
    lag, _ = best_alignment(played.astype(np.float64), reference.astype(np.float64))
    assert np.array_equal(played[lag : lag + reference.size], reference)
    assert not played[:lag].any()


async def test_a_flush_mid_reply_silences_the_speaker_within_one_block(virtual_audio: Path) -> None:
    reference = tone(2.0)
    reader = FifoReader(virtual_audio / "speaker.fifo")
    async with Speaker() as speaker:
        speaker.play(reference.tobytes())
        await asyncio.sleep(0.4)
        heard = speaker.flush()
        fade = 120  # 5 ms at 24 kHz
        handed_out = round(heard * 24_000) - fade  # given to the device before the flush
        await asyncio.sleep(0.3)
        assert not speaker.audible
    played = reader.stop()
    lag = int(np.flatnonzero(played)[0]) - 1  # the tone starts with one zero sample
    tone_end = lag + int(np.flatnonzero(played[lag:])[-1]) + 1
    assert 0.2 < heard < 0.6
    # Exactly what was handed out before the flush, then the fade, then silence: the very next block.
    assert abs((tone_end - lag) - (handed_out + fade)) <= 2
    assert np.array_equal(played[lag : lag + handed_out], reference[:handed_out])
    ramp = np.abs(played[tone_end - fade : tone_end].astype(int))
    assert ramp[-10:].max() < 1_000
    assert not played[tone_end : tone_end + 4800].any()
