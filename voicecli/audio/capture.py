"""The microphone: a PortAudio input stream at the device's own rate, re-framed to 16 kHz 20 ms frames.

The PortAudio callback only copies the block and hands it to the event loop; mixing, resampling and
framing happen on the loop. Device blocks are 20 ms, the frame length, so the loop wakes once per frame,
and the low-delay resampler (lowdelay.py) holds nothing back, so each block completes its frame at once:
a frame is ready ~2 ms after its newest sample instead of 20-30 ms with soxr and 10 ms blocks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, Self

from voicecli.audio.devices import open_device
from voicecli.audio.levels import SILENCE_DBFS, dbfs
from voicecli.audio.portaudio import SwitchInterval, audio_error, audio_thread_priority
from voicecli.audio.reframer import CAPTURE_QUALITY, Int16Array, Quality, Reframer
from voicecli.events import FRAME_BYTES, FRAME_RATE, FRAME_SAMPLES

BLOCK_SECONDS = FRAME_SAMPLES / FRAME_RATE
"""Device block length at the default 20 ms frames: one hand-over (a loop wake-up) per frame."""
BUFFER_BLOCKS = 3
"""Device buffer, in blocks. A block is handed over as soon as it is complete, so a deeper buffer adds
no delay, only room for a late callback; and with two blocks (latency="low") PortAudio's ALSA input
sometimes spins, at 10-20% of a core instead of ~1.5%."""
PREFERRED_RATE = 48_000
"""Used when the device's default rate is not a multiple of 16 kHz and it accepts this one."""
FRAME_MS_CHOICES = (20, 40)
"""Frame (and message) lengths the microphone offers: 20 ms by default; 40 ms, the upper end of what the
Live API recommends, halves every per-frame cost (a loop wake-up, a message, a TLS record)."""
LEVEL_INTERVAL_SECONDS = 0.1
"""``level_dbfs`` is computed when read, at most this often (10 Hz): the eye needs no more."""
MAX_QUEUED_SECONDS = 5.0
"""Beyond this much unread audio, new blocks are dropped and counted as overflows."""

_CLOSED = None


class Microphone:
    """A FrameSource over a real input device; runs until the ``async with`` block exits."""

    def __init__(
        self,
        device: int | str | None = None,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        samplerate: int | None = None,
        quality: Quality = CAPTURE_QUALITY,
        frame_ms: int = 20,
    ) -> None:
        if frame_ms not in FRAME_MS_CHOICES:
            raise ValueError(f"frame_ms must be one of {FRAME_MS_CHOICES}, not {frame_ms}")
        self._device_spec = device
        self.frame_ms = frame_ms
        self.block_seconds = BLOCK_SECONDS * frame_ms / 20
        """Device block: one frame, so one hand-over (a loop wake-up) per frame (set again on opening)."""
        self._loop = loop
        self._requested_rate = samplerate
        self._quality = quality
        self._last_frame = b""
        self._level = SILENCE_DBFS
        self._level_at = -LEVEL_INTERVAL_SECONDS
        self.overflows = 0
        self.samplerate = 0
        self.device_name = ""
        self.realtime = False
        """Whether the stream's threads run with real-time priority (see audio_thread_priority)."""
        self._stream: Any = None
        self._blocks: asyncio.Queue[Int16Array | None] = asyncio.Queue()
        self._reframer: Reframer | None = None
        self._max_queued_blocks = round(MAX_QUEUED_SECONDS / self.block_seconds)
        self._switch_interval = SwitchInterval()

    async def __aenter__(self) -> Self:
        self._loop = self._loop or asyncio.get_running_loop()
        self.block_seconds = BLOCK_SECONDS * self.frame_ms / 20
        self._max_queued_blocks = round(MAX_QUEUED_SECONDS / self.block_seconds)
        sd, device = open_device(self._device_spec, "input")
        rate = self._requested_rate or self._pick_rate(sd, device.index, device.default_rate)
        channels = self._pick_channels(sd, device.index, rate, device.input_channels)
        try:
            with audio_thread_priority() as self.realtime:
                self._stream = sd.InputStream(
                    device=device.index, samplerate=rate, channels=channels, dtype="int16",
                    blocksize=max(1, round(rate * self.block_seconds)),
                    latency=BUFFER_BLOCKS * self.block_seconds,
                    callback=self._callback,
                )
                self._stream.start()
        except sd.PortAudioError as error:
            self._close_stream()
            raise audio_error(error, f"open input device {device.name!r}") from error
        self.samplerate, self.device_name = rate, device.name
        self._reframer = Reframer(rate, channels, quality=self._quality,
                                  frame_bytes=FRAME_BYTES * self.frame_ms // 20)
        self._switch_interval.enter()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._close_stream()
        self._switch_interval.exit()
        self._blocks.put_nowait(_CLOSED)

    async def frames(self) -> AsyncIterator[bytes]:
        if self._reframer is None:
            raise RuntimeError("Microphone.frames() needs `async with Microphone(...)` first")
        while (block := await self._blocks.get()) is not _CLOSED:
            for frame in self._reframer.push(block):
                self._last_frame = frame
                yield frame

    @property
    def level_dbfs(self) -> float:
        """The newest frame's level, computed when read and at most every LEVEL_INTERVAL_SECONDS."""
        now = time.monotonic()
        if now - self._level_at >= LEVEL_INTERVAL_SECONDS:
            self._level, self._level_at = (dbfs(self._last_frame) if self._last_frame else SILENCE_DBFS), now
        return self._level

    @staticmethod
    def _pick_rate(sd: Any, index: int, default_rate: int) -> int:
        # A whole multiple of 16 kHz makes resampling a plain decimation, half the work of 44.1 kHz.
        # Sound servers report their default (often 44.1 kHz) while most sources run at 48 kHz.
        if default_rate % FRAME_RATE == 0:
            return default_rate
        try:
            sd.check_input_settings(device=index, samplerate=PREFERRED_RATE, dtype="int16")
            return PREFERRED_RATE
        except sd.PortAudioError:
            return default_rate

    @staticmethod
    def _pick_channels(sd: Any, index: int, rate: int, available: int) -> int:
        # Mono when the device allows it (PulseAudio mixes down itself); otherwise all its channels.
        try:
            sd.check_input_settings(device=index, samplerate=rate, channels=1, dtype="int16")
            return 1
        except sd.PortAudioError:
            return max(1, min(available, 2))

    def _callback(self, indata: Int16Array, _frames: int, _time: Any, status: Any) -> None:
        # PortAudio thread: copy and hand over, nothing else.
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._on_block, indata.copy(), bool(status.input_overflow))

    def _on_block(self, block: Int16Array, overflowed: bool) -> None:
        if overflowed:
            self.overflows += 1
        if self._blocks.qsize() >= self._max_queued_blocks:
            self.overflows += 1
            return
        self._blocks.put_nowait(block)

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            stream.close()
