"""WAV files behind the same seams as the microphone and speaker, so a conversation needs no sound card."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Self

import numpy as np

from voicecli.audio.levels import SILENCE_DBFS, dbfs
from voicecli.audio.reframer import Int16Array, Reframer
from voicecli.errors import AudioError, StorageError
from voicecli.events import FRAME_RATE, FRAME_SAMPLES, OUTPUT_RATE

SOURCE_BLOCK_SECONDS = 0.010


def read_wav(path: str | Path) -> tuple[Int16Array, int, int]:
    """Interleaved PCM16 samples, rate and channel count of any integer PCM WAV file."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as reader:
            rate, channels, width = reader.getframerate(), reader.getnchannels(), reader.getsampwidth()
            raw = reader.readframes(reader.getnframes())
    except FileNotFoundError as error:
        raise AudioError(f"WAV file not found: {path}") from error
    except (wave.Error, EOFError, OSError) as error:
        raise AudioError(f"cannot read {path} as a WAV file: {error}",
                         hint="use uncompressed integer PCM WAV (e.g. `sox in.x -b 16 out.wav`)") from error
    return _to_int16(raw, width, path), rate, channels


def _to_int16(raw: bytes, width: int, path: Path) -> Int16Array:
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.int16)
    if width == 1:  # 8-bit WAV is unsigned
        return ((np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    if width == 3:
        triples = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        return (triples[:, 2].astype(np.int8).astype(np.int16) << 8 | triples[:, 1]).astype(np.int16)
    if width == 4:
        return (np.frombuffer(raw, dtype="<i4") >> 16).astype(np.int16)
    raise AudioError(f"{path}: unsupported WAV sample width of {width} bytes")


class WavSource:
    """A FrameSource reading a WAV file of any rate and channel count; ends at EOF after the flush.

    With ``realtime`` the frames are paced at 20 ms each, like a microphone; without, as fast as possible.
    """

    def __init__(self, path: str | Path, *, realtime: bool = True) -> None:
        self.path = Path(path)
        self.realtime = realtime
        self.level_dbfs = SILENCE_DBFS
        self.overflows = 0
        self._samples: Int16Array | None = None
        self._rate = 0
        self._channels = 0

    async def __aenter__(self) -> Self:
        self._samples, self._rate, self._channels = read_wav(self.path)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._samples = None

    @property
    def duration(self) -> float:
        if self._samples is None:
            return 0.0
        return self._samples.size / self._channels / self._rate

    async def frames(self) -> AsyncIterator[bytes]:
        if self._samples is None:
            raise RuntimeError("WavSource.frames() needs `async with WavSource(...)` first")
        samples, channels = self._samples, self._channels
        reframer = Reframer(self._rate, channels)
        step = max(1, round(self._rate * SOURCE_BLOCK_SECONDS)) * channels
        loop = asyncio.get_running_loop()
        started, sent = loop.time(), 0
        for offset in range(0, samples.size + step, step):
            last = offset >= samples.size
            frames = reframer.flush() if last else reframer.push(samples[offset : offset + step])
            for frame in frames:
                if self.realtime:
                    # Each frame is released when a microphone would have finished capturing it.
                    due = started + (sent + 1) * FRAME_SAMPLES / FRAME_RATE
                    await asyncio.sleep(max(0.0, due - loop.time()))
                else:
                    await asyncio.sleep(0)
                self.level_dbfs = dbfs(frame)
                sent += 1
                yield frame
            if last:
                break


class WavSink:
    """An AudioSink writing 24 kHz mono PCM16 to a WAV file.

    Everything queued counts as heard at once (``drain()`` is immediate), so barge-in finds nothing left
    to cut; the padding added by ``end_reply()`` is written too, as a speaker would play it.
    """

    def __init__(self, path: str | Path, *, tail_pad_seconds: float = 0.0) -> None:
        self.path = Path(path)
        self.tail_pad_seconds = tail_pad_seconds
        self._writer: wave.Wave_write | None = None
        self._reply_samples = 0
        self._reply_ended = False
        self.written_samples = 0

    async def __aenter__(self) -> Self:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            writer = wave.open(str(self.path), "wb")  # noqa: SIM115 - open for the sink's lifetime
        except OSError as error:
            raise StorageError(f"cannot write WAV file {self.path}: {error.strerror or error}",
                               hint="choose a writable path for --output") from error
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(OUTPUT_RATE)
        self._writer = writer
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    @property
    def played_seconds(self) -> float:
        return self._reply_samples / OUTPUT_RATE

    @property
    def audible(self) -> bool:
        return False

    @property
    def level_dbfs(self) -> float:
        return SILENCE_DBFS

    @property
    def underflows(self) -> int:
        return 0

    def play(self, pcm24k: bytes) -> None:
        if len(pcm24k) % 2:
            raise AudioError(f"reply audio must be whole PCM16 samples, got {len(pcm24k)} bytes")
        if self._reply_ended:
            self._reply_samples, self._reply_ended = 0, False
        self._write(pcm24k)
        self._reply_samples += len(pcm24k) // 2

    def end_reply(self) -> None:
        self._write(bytes(2 * round(self.tail_pad_seconds * OUTPUT_RATE)))
        self._reply_ended = True

    def flush(self) -> float:
        self._reply_ended = True
        return self.played_seconds

    async def drain(self) -> None:
        return None

    def _write(self, pcm: bytes) -> None:
        if self._writer is None:
            raise RuntimeError("WavSink.play() needs `async with WavSink(...)` first")
        self._writer.writeframes(pcm)
        self.written_samples += len(pcm) // 2
