"""Device blocks of any rate and channel count -> exact 20 ms frames of 16 kHz mono PCM16.

The resampler's output may come in bursts (soxr gives 0 samples on some calls, several hundred on
others), so it feeds a byte buffer that is cut into 640-byte frames.

Two families of resampler:
- "LD" (the microphone's): voicecli's low-delay FIR (lowdelay.py). It holds nothing back, so a 20 ms
  device block gives its frame at once, 1.6 ms behind the input; flat to 6.4 kHz (-2.4 dB at 7 kHz),
  aliases down by 80 dB.
- soxr's "QQ".."VHQ" (files, where delay does not matter: "LQ"). soxr holds output back to centre its
  filter: at 48 kHz up to 20 ms for "LQ" and 37 ms for "HQ", which costs a capture frame 10-20 ms.
  "QQ" has no delay but no anti-alias filter: a 9 kHz tone at 48 kHz comes through at full level as
  a 7 kHz alias.
Figures: docs/audio.md and bench/bench_audio.py.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import soxr

from voicecli.audio.lowdelay import LowDelayResampler
from voicecli.errors import AudioError
from voicecli.events import FRAME_BYTES, FRAME_RATE

Quality = Literal["LD", "QQ", "LQ", "MQ", "HQ", "VHQ"]
CAPTURE_QUALITY: Quality = "LD"
"""The microphone's: the lowest delay with a proper anti-alias filter."""
FILE_QUALITY: Quality = "LQ"

Int16Array = npt.NDArray[np.int16]


def to_mono(block: bytes | Int16Array, channels: int) -> Int16Array:
    """Interleaved or (frames, channels) PCM16 -> 1-D mono, averaging the channels."""
    samples: Int16Array = (
        np.frombuffer(block, dtype=np.int16) if isinstance(block, bytes | bytearray) else block
    )
    if channels == 1:
        return samples.reshape(-1)
    if samples.size % channels:
        raise AudioError(f"an audio block of {samples.size} samples does not split into {channels} channels")
    frames = samples.reshape(-1, channels).astype(np.int32)
    mono: Int16Array = (frames.sum(axis=1) // channels).astype(np.int16)
    return mono


class Reframer:
    """One persistent resampler plus a frame cutter; feed it blocks, collect 640-byte frames."""

    def __init__(self, in_rate: int, channels: int = 1, *, quality: Quality = FILE_QUALITY,
                 frame_bytes: int = FRAME_BYTES) -> None:
        if in_rate <= 0 or channels <= 0:
            raise AudioError(f"unsupported audio format: {in_rate} Hz, {channels} channel(s)")
        self.in_rate = in_rate
        self.channels = channels
        self.frame_bytes = frame_bytes
        """Bytes per frame: 640 (20 ms) by default; the microphone may ask for 40 ms (1280)."""
        self._stream: soxr.ResampleStream | LowDelayResampler | None = None
        if in_rate != FRAME_RATE:
            self._stream = (LowDelayResampler(in_rate, FRAME_RATE) if quality == "LD"
                            else soxr.ResampleStream(in_rate, FRAME_RATE, 1, dtype="int16", quality=quality))
        self._pending = bytearray()

    @property
    def pending_samples(self) -> int:
        """Output samples waiting for a full frame (not counting those still inside the resampler)."""
        return len(self._pending) // 2

    def push(self, block: bytes | Int16Array) -> list[bytes]:
        mono = to_mono(block, self.channels)
        if self._stream is not None:
            mono = np.asarray(self._stream.resample_chunk(mono), dtype=np.int16)
        self._pending += mono.tobytes()
        return self._cut()

    def flush(self) -> list[bytes]:
        """End of input: drain the resampler and pad the last partial frame with silence."""
        if self._stream is not None:
            self._pending += self._stream.resample_chunk(np.zeros(0, np.int16), last=True).tobytes()
            self._stream.clear()
        frames = self._cut()
        if self._pending:
            self._pending += bytes(self.frame_bytes - len(self._pending))
            frames.extend(self._cut())
        return frames

    def _cut(self) -> list[bytes]:
        size = self.frame_bytes
        count = len(self._pending) // size
        if not count:
            return []
        cut = bytes(self._pending[: count * size])
        del self._pending[: count * size]
        return [cut[i * size : (i + 1) * size] for i in range(count)]
