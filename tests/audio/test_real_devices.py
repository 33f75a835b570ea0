"""The real PortAudio -> ALSA -> PulseAudio path, on the virtual devices of scripts/virtual-audio.sh."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soxr

from voicecli.audio import Microphone, Speaker
from voicecli.audio.playback import FADE_SECONDS
from voicecli.events import FRAME_BYTES

pytestmark = pytest.mark.audio

MIC_FEED_RATE = 48_000
CONDITION_BOUND_SECONDS = 30.0
CLEAN_ATTEMPTS = 10


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
        self._lock = threading.Lock()
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
                with self._lock:
                    self._chunks.append(chunk)

    def samples(self) -> npt.NDArray[np.int16]:
        """Everything read so far (the pipe holds what the thread has not read yet; nothing is lost)."""
        with self._lock:
            data = b"".join(self._chunks)
        return np.frombuffer(data[: len(data) // 2 * 2], np.int16)

    def stop(self) -> npt.NDArray[np.int16]:
        self._stop.set()
        self._thread.join()
        os.close(self._fd)
        return self.samples()


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Wait for a condition, however loaded the machine; the bound only keeps a broken run from hanging."""
    deadline = time.monotonic() + CONDITION_BOUND_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"still waiting, after {CONDITION_BOUND_SECONDS} s, for {what}"
        await asyncio.sleep(0.005)


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
        heard_speech, silent_run = False, 0
        async for frame in mic.frames():
            frames.append(frame)
            if len(frames) == 10:
                capturing.set()
            silent = not any(frame)
            heard_speech = heard_speech or not silent
            silent_run = silent_run + 1 if silent else 0
            # The clip has no silent frame inside (checked below): once it has all been written and
            # 25 silent frames (500 ms of audio) follow its last sound, all of it has been captured,
            # however far this consumer lags behind the device.
            if fed.is_set() and heard_speech and silent_run >= 25:
                return

    clip_frames = speech_16k[: speech_16k.size // 320 * 320].reshape(-1, 320)
    assert clip_frames.any(axis=1).all()
    async with Microphone() as mic, asyncio.TaskGroup() as tasks:
        tasks.create_task(capture(mic))
        await capturing.wait()  # 200 ms of capture before the speech starts
        player = await asyncio.create_subprocess_exec(
            "pacat", "-d", "micfeed", "--raw", "--format=s16le", f"--rate={MIC_FEED_RATE}", "--channels=1",
            stdin=subprocess.PIPE)
        await player.communicate(feed.tobytes())  # pacat drains before it exits
        fed.set()
    assert all(len(frame) == FRAME_BYTES for frame in frames)
    assert mic.overflows == 0
    recorded = np.frombuffer(b"".join(frames), np.int16).astype(np.float64)
    assert best_subsample_correlation(recorded, speech_16k.astype(np.float64)) >= 0.99


async def play_cleanly(speaker: Speaker, attempt: Callable[[], Awaitable[None]]) -> None:
    """Run ``attempt`` (which plays something and asserts it came out exact) until it passes.

    A failed check counts only if the device reported no underflow meanwhile: an underflow is the
    device running dry because a callback came late, which a machine whose cores are all busy can
    cause, and the speaker then moves to longer blocks; that run proves nothing about the samples, so
    it is played again, at most CLEAN_ATTEMPTS times.
    """
    for _ in range(CLEAN_ATTEMPTS):
        before = speaker.underflows
        try:
            await attempt()
            return
        except AssertionError:
            if speaker.underflows == before:
                raise
    pytest.fail(f"the device ran dry in each of {CLEAN_ATTEMPTS} runs (underflows: {speaker.underflows})")


async def plays_bit_exact(speaker: Speaker, fifo: Path) -> None:
    """A 0.5 s tone comes out of the speaker sample for sample, with nothing before it."""
    reference = tone(0.5)

    async def attempt() -> None:
        reader = FifoReader(fifo)
        speaker.play(reference.tobytes())
        speaker.end_reply()
        await speaker.drain()
        assert speaker.played_seconds == pytest.approx(0.5)

        def tone_read() -> bool:  # the tone and 100 ms after it are in the FIFO
            played = reader.samples()
            return played.any() and played.size >= int(np.flatnonzero(played)[0]) + reference.size + 2400

        await wait_until(tone_read, "the tone and 100 ms after it in the FIFO")
        played = reader.stop()
        lag, _ = best_alignment(played.astype(np.float64), reference.astype(np.float64))
        assert np.array_equal(played[lag : lag + reference.size], reference)
        assert not played[:lag].any()

    await play_cleanly(speaker, attempt)


async def test_a_tone_through_the_speaker_arrives_bit_exact(virtual_audio: Path) -> None:
    async with Speaker() as speaker:
        assert speaker.samplerate == 24_000
        await plays_bit_exact(speaker, virtual_audio / "speaker.fifo")


async def test_repeated_underflows_grow_the_blocks_once_nothing_is_audible(virtual_audio: Path) -> None:
    async with Speaker() as speaker:
        first_block, first_latency = speaker.block_seconds, speaker.latency
        speaker.play(tone(0.3).tobytes())
        later = time.monotonic() + 1  # as if the device had reported them once the stream had settled
        for index in range(3):
            speaker._on_underflow(later + index / 10)
        assert speaker.block_seconds == first_block  # not while the reply plays
        speaker.end_reply()
        await wait_until(lambda: speaker.block_seconds == 2 * first_block, "the stream to reopen")
        assert speaker.latency > first_latency
        assert not speaker.audible
        await plays_bit_exact(speaker, virtual_audio / "speaker.fifo")


async def test_a_flush_mid_reply_silences_the_speaker_within_one_block(virtual_audio: Path) -> None:
    reference = tone(2.0)
    fade = round(FADE_SECONDS * 24_000)
    async with Speaker() as speaker:

        async def attempt() -> None:
            reader = FifoReader(virtual_audio / "speaker.fifo")
            speaker.play(reference.tobytes())
            await wait_until(lambda: speaker.played_seconds >= 0.3, "300 ms of the reply to be heard")
            heard = speaker.flush()
            handed_out = round(heard * 24_000) - fade  # given to the device before the flush
            await wait_until(lambda: not speaker.audible, "the speaker to fall silent")

            def tail_read() -> bool:  # the fade and 200 ms of silence after it are in the FIFO
                played = reader.samples()
                return played.any() and played.size >= int(np.flatnonzero(played)[0]) + handed_out + fade + 4800

            await wait_until(tail_read, "the end of the reply and 200 ms after it in the FIFO")
            played = reader.stop()
            lag = int(np.flatnonzero(played)[0]) - 1  # the tone starts with one zero sample
            tone_end = lag + int(np.flatnonzero(played[lag:])[-1]) + 1
            assert 0.3 <= heard < reference.size / 24_000  # the flush cut the reply
            # Exactly what was handed out before the flush, then the fade, then silence: the very next block.
            assert abs((tone_end - lag) - (handed_out + fade)) <= 2
            assert np.array_equal(played[lag : lag + handed_out], reference[:handed_out])
            ramp = np.abs(played[tone_end - fade : tone_end].astype(int))
            # A linear ramp down to zero (its last sample, 0, is not part of the window; 2 samples' slack).
            envelope = 12_000 * np.clip((fade + 1 - np.arange(fade)) / (fade - 1), 0, 1)
            assert np.all(ramp <= envelope + 1)
            assert not played[tone_end : tone_end + 4800].any()

        await play_cleanly(speaker, attempt)
