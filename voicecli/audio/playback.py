"""Playback: a reply queue the event loop fills and the PortAudio callback drains, and the Speaker.

`PlaybackQueue` holds all the logic (reply positions, tail padding, barge-in fade, underflow counting)
and knows nothing of devices, so it is tested without one; `Speaker` wraps it in an OutputStream.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Self

import numpy as np
import soxr

from voicecli.audio.devices import DeviceInfo, open_device
from voicecli.audio.levels import SILENCE_DBFS, dbfs
from voicecli.audio.portaudio import SwitchInterval, audio_error, audio_thread_priority
from voicecli.audio.reframer import Int16Array
from voicecli.audio.ringbuffer import RingBuffer, apply_fade_out
from voicecli.errors import AudioError
from voicecli.events import OUTPUT_RATE

BLOCK_SECONDS = 0.005
"""Output block. New audio waits behind what the device already holds, which PortAudio sizes at two
blocks with latency="low": 5 ms blocks give ~10 ms, so a reply's first sample and a barge-in's last one
reach the speaker in ~16-20 ms (20 ms blocks: ~70 ms). Figures: bench/bench_audio.py."""
MAX_BLOCK_SECONDS = 0.020
"""Where growing stops: 20 ms blocks (40 ms buffered) played 3 CPU-bound processes on 2 cores with 0-3
underflows per 60 replies, no real-time priority needed."""
UNDERFLOWS_TO_GROW = 3
UNDERFLOW_WINDOW_SECONDS = 10.0
"""Grow the blocks after this many device underflows within this window (not one stray glitch)."""
SETTLE_SECONDS = 0.5
GROW_CHECK_SECONDS = 0.05
FADE_SECONDS = 0.002
"""Barge-in fade: long enough to avoid a click, short enough to feel instant."""
MIN_TAIL_PAD_SECONDS = 0.100
"""Streams cut the last 60-160 ms at stop unless the reply is padded by at least the output latency."""
IDLE_STOP_SECONDS = 5.0
"""Stop the stream after this long with nothing to play (tail padding included) and start it again when
the next reply's first audio arrives: through a long pause no callback runs (an open, idle speaker costs
~0 instead of 3.6-6% of a core). Longer than a usual turn on purpose: a restarted stream's first sample
comes sooner (downlink p50 ~5 ms instead of ~17 on the virtual device), but about one start in five
waits ~86 ms for the sound server (p95 86 ms instead of 20), and restarts on a busy machine underflowed
more; a stream that keeps running between the turns of a conversation has neither. None keeps the
stream running. Figures: bench/bench_audio.py."""
START_CHECK_SECONDS = 0.5
"""A restarted stream that has not asked for a block by then is stuck: the speaker reopens it and keeps
it running from then on (the previous behaviour)."""


class PlaybackQueue:
    """Reply bookkeeping around a RingBuffer of samples at the device rate.

    Positions are absolute sample counts, so "how much of this reply was heard" is exact: it is the
    read position minus the reply's start, minus what is still in the device buffers (``latency``).
    """

    def __init__(self, rate: int = OUTPUT_RATE, *, latency: float = 0.0,
                 tail_pad_seconds: float = MIN_TAIL_PAD_SECONDS, fade_seconds: float = FADE_SECONDS) -> None:
        self.rate = rate
        self.ring = RingBuffer(rate * 4)
        self.latency_samples = round(latency * rate)
        self.tail_pad_samples = max(round(tail_pad_seconds * rate), self.latency_samples)
        self.fade_samples = max(1, round(fade_seconds * rate))
        self.underflows = 0
        self._resampler = (None if rate == OUTPUT_RATE
                           else soxr.ResampleStream(OUTPUT_RATE, rate, 1, dtype="int16", quality="HQ"))
        self._reply_start = 0
        self._reply_samples = 0
        self._reply_open = False  # audio may still arrive: running dry now is an underflow
        self._audio_end = 0  # write position just after the last real (non-padding) sample
        self._levels: deque[tuple[int, float]] = deque()  # (end position, level) of queued chunks
        self._idle_samples = 0  # silence output since the last real sample

    # -- event loop side ---------------------------------------------------------------------------
    def play(self, pcm24k: bytes) -> None:
        if len(pcm24k) % 2:
            raise AudioError(f"reply audio must be whole PCM16 samples, got {len(pcm24k)} bytes")
        samples = np.frombuffer(pcm24k, dtype=np.int16)
        if self._resampler is not None:
            samples = self._resampler.resample_chunk(samples)
        if not self._reply_open:
            self._reply_open = True
            if self.ring.read_pos >= self._audio_end:
                # Only the last reply's tail padding is left: a new reply need not wait behind it
                # (the padding matters only when the stream stops).
                self.ring.fade_out(0)
            self._reply_start, self._reply_samples = self.ring.write_pos, 0
        self._enqueue_audio(samples)

    def end_reply(self) -> None:
        if self._resampler is not None and self._reply_open:
            self._enqueue_audio(self._resampler.resample_chunk(np.zeros(0, np.int16), last=True))
            self._resampler.clear()
        self._reply_open = False
        self.ring.write(np.zeros(self.tail_pad_samples, np.int16))

    def flush(self) -> float:
        """Keep only a short fade of what is queued; returns the seconds of the reply the listener will
        have heard when the silence arrives (what the device already holds, plus the fade)."""
        if self._resampler is not None:
            self._resampler.clear()
        self._reply_open = False
        self.ring.fade_out(self.fade_samples)
        self._audio_end = self.ring.write_pos
        if self._audio_end >= self._reply_start:  # the flush cut into the current reply
            self._reply_samples = min(self._reply_samples, self._audio_end - self._reply_start)
        self._levels.clear()
        return self._reply_samples / self.rate

    def discard_device(self) -> float:
        """The stream was aborted: what the device held was dropped unheard. The reply ends where the
        listener is now and nothing stays queued; returns the seconds of the reply heard."""
        heard = self.heard_pos
        if self._resampler is not None:
            self._resampler.clear()
        self._reply_open = False
        self.ring.clear()
        self._idle_samples = self.latency_samples  # the device holds nothing any more
        self._audio_end = min(self._audio_end, heard)
        self._reply_samples = min(self._reply_samples, max(0, heard - self._reply_start))
        self._levels.clear()
        return self._reply_samples / self.rate

    @property
    def reply_open(self) -> bool:
        return self._reply_open

    @property
    def idle_seconds(self) -> float:
        """How long the device has been handed only silence (0 while audio or padding plays)."""
        return self._idle_samples / self.rate

    @property
    def quiet(self) -> bool:
        """Nothing queued, nothing audible and no reply under way: the stream may stop."""
        return not self._reply_open and not len(self.ring) and not self.audible

    def set_latency(self, latency: float) -> None:
        """The device's buffering (seconds), once the stream is open or reopened."""
        self.latency_samples = round(latency * self.rate)
        self.tail_pad_samples = max(self.tail_pad_samples, self.latency_samples)

    @property
    def heard_pos(self) -> int:
        """Ring position at the speaker: what was read, minus what the device still holds, which is
        nothing once it has played ``latency`` worth of silence."""
        return self.ring.read_pos - max(0, self.latency_samples - self._idle_samples)

    @property
    def played_seconds(self) -> float:
        played = min(max(self.heard_pos - self._reply_start, 0), self._reply_samples)
        return played / self.rate

    @property
    def audible(self) -> bool:
        return self.heard_pos < self._audio_end

    @property
    def level_dbfs(self) -> float:
        position = self.heard_pos
        while self._levels and self._levels[0][0] <= position:
            self._levels.popleft()
        if not self.audible or not self._levels:
            return SILENCE_DBFS
        return self._levels[0][1]

    @property
    def pending_seconds(self) -> float:
        return len(self.ring) / self.rate

    def _enqueue_audio(self, samples: Int16Array) -> None:
        if not samples.size:
            return
        self.ring.write(samples)
        self._reply_samples += int(samples.size)
        self._audio_end = self.ring.write_pos
        self._levels.append((self.ring.write_pos, dbfs(samples)))

    # -- PortAudio thread side --------------------------------------------------------------------
    def fill(self, out: Int16Array) -> None:
        """Fill one output block; silence where nothing is queued."""
        got = self.ring.read_into(out)
        self._idle_samples = out.size - got if got else self._idle_samples + out.size
        if got < out.size and self._reply_open:
            self.underflows += 1
            tail = min(got, self.fade_samples)  # ramp down into the gap instead of clicking
            out[got - tail : got] = apply_fade_out(out[got - tail : got])


class Speaker:
    """An AudioSink over a real output device at 24 kHz (resampled when the device needs another rate).

    It starts with short blocks for low latency. If the device still runs dry (device-reported
    underflows: the callback came too late, e.g. on a machine whose cores are all busy), it reopens the
    stream with blocks twice as long at the next moment nothing is audible, up to MAX_BLOCK_SECONDS:
    a little more latency rather than a crackle in every reply.

    In a long pause the stream stops (IDLE_STOP_SECONDS after the tail padding has played; abort, which
    only drops silence then) and the next reply's first audio starts it, so that no callback runs while
    nothing plays. Start and abort take ~1 ms of the event loop.
    If a restart fails or the restarted stream never calls back, the speaker reopens the stream and
    keeps it running from then on. With an echo canceller's tap (``on_played``) it never stops.
    """

    def __init__(self, device: int | str | None = None, *, block_seconds: float = BLOCK_SECONDS,
                 max_block_seconds: float = MAX_BLOCK_SECONDS,
                 idle_stop_seconds: float | None = IDLE_STOP_SECONDS) -> None:
        self._device_spec = device
        self.idle_stop_seconds = idle_stop_seconds
        """Stop the stream after this long idle (None: it runs until closed, the fallback)."""
        self._running = False
        self._stop_posted = False
        self._callbacks = 0
        self.control_seconds: list[tuple[str, float]] = []
        """(call, seconds) of each start/abort/stop made on the event loop, for the benchmark."""
        self.block_seconds = block_seconds
        """The current device block (it grows after repeated underflows)."""
        self._max_block_seconds = max(block_seconds, max_block_seconds)
        self._stream: Any = None
        self._queue = PlaybackQueue()
        self.samplerate = 0
        self.device_name = ""
        self.realtime = False
        """Whether the stream's threads run with real-time priority (see audio_thread_priority)."""
        self._device_underflows = 0
        self._on_drained: Callable[[], object] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sd: Any = None
        self._device: DeviceInfo | None = None
        self._channels = 1
        self._opened_at = 0.0
        self._recent_underflows: deque[float] = deque()
        self._grow_timer: asyncio.TimerHandle | None = None
        self._switch_interval = SwitchInterval()
        self._on_played: Callable[[Int16Array], None] | None = None
        """Called on the PortAudio thread with each block handed to the device (int16, device rate,
        one channel): the echo canceller's reference (``voicecli.audio.aec.speaker_tap``). While it is
        set the stream never stops when idle: the canceller's timeline needs the silence too."""

    async def __aenter__(self) -> Self:
        self._loop = asyncio.get_running_loop()
        self._sd, self._device = open_device(self._device_spec, "output")
        device = self._device
        rate, self._channels = self._pick_format(self._sd, device.index, device.default_rate,
                                                 device.output_channels)
        self._queue = PlaybackQueue(rate)
        try:
            self._stream = self._open(self.block_seconds)
            self._control("start", self._stream.start)  # proves the device now; stops when idle
            self._running = True
        except self._sd.PortAudioError as error:
            self._close(abort=True)
            raise audio_error(error, f"open output device {device.name!r}") from error
        self.samplerate, self.device_name = rate, device.name
        self._switch_interval.enter()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._close(abort=exc_info[0] is not None)
        self._switch_interval.exit()

    @property
    def latency(self) -> float:
        return self._queue.latency_samples / self._queue.rate

    @property
    def played_seconds(self) -> float:
        return self._queue.played_seconds

    @property
    def audible(self) -> bool:
        return self._queue.audible

    @property
    def level_dbfs(self) -> float:
        return self._queue.level_dbfs

    @property
    def underflows(self) -> int:
        return self._queue.underflows + self._device_underflows

    @property
    def on_played(self) -> Callable[[Int16Array], None] | None:
        return self._on_played

    @on_played.setter
    def on_played(self, tap: Callable[[Int16Array], None] | None) -> None:
        self._on_played = tap
        if tap is not None and not self._running and self._stream is not None:
            self._start()  # the canceller's reference needs the silence between replies too

    @property
    def running(self) -> bool:
        """Whether the stream is started (it stops when idle, see IDLE_STOP_SECONDS)."""
        return self._running

    def play(self, pcm24k: bytes) -> None:
        self._queue.play(pcm24k)
        self._stop_posted = False
        if not self._running and self._stream is not None:
            self._start()

    def end_reply(self) -> None:
        self._queue.end_reply()
        if not self._running and not self._queue.audible:
            self._queue.ring.clear()  # only padding, for a stream that is not playing

    def flush(self) -> float:
        # The device plays out what it holds, then the fade. Aborting the stream instead was measured:
        # barge-in 17 ms p50 instead of 18.5 (the sound server keeps what it already took) and a click.
        return self._queue.flush()

    async def drain(self) -> None:
        if not self._running:
            return
        if self._stream is not None and self._queue.pending_seconds > 0:
            loop = asyncio.get_running_loop()
            drained = asyncio.Event()
            self._on_drained = lambda: loop.call_soon_threadsafe(drained.set)
            if self._queue.pending_seconds > 0:
                await drained.wait()
            self._on_drained = None
        await asyncio.sleep(self.latency)  # the last block is still in the device buffers

    @staticmethod
    def _pick_format(sd: Any, index: int, default_rate: int, available: int) -> tuple[int, int]:
        for rate in (OUTPUT_RATE, default_rate):
            for channels in sorted({1, max(1, min(available, 2))}):
                try:
                    sd.check_output_settings(device=index, samplerate=rate, channels=channels, dtype="int16")
                    return rate, channels
                except sd.PortAudioError:
                    continue
        return default_rate, max(1, min(available, 2))

    def _open(self, block_seconds: float) -> Any:
        """A new (not yet started) stream; the queue learns its latency."""
        assert self._device is not None
        with audio_thread_priority() as self.realtime:
            stream = self._sd.OutputStream(
                device=self._device.index, samplerate=self._queue.rate, channels=self._channels,
                dtype="int16", blocksize=max(1, round(self._queue.rate * block_seconds)), latency="low",
                callback=self._callback,
            )
        self._queue.set_latency(float(stream.latency))
        self.block_seconds = block_seconds
        self._opened_at = time.monotonic()
        return stream

    def _callback(self, outdata: Int16Array, _frames: int, _time: Any, status: Any) -> None:
        # PortAudio thread: one copy out of the ring (plus a channel copy on stereo-only devices).
        if status.output_underflow:
            self._device_underflows += 1
            if self._loop is not None:  # rare: the loop decides whether to grow the blocks
                self._loop.call_soon_threadsafe(self._on_underflow)
        self._queue.fill(outdata[:, 0])
        if outdata.shape[1] > 1:
            outdata[:, 1:] = outdata[:, :1]
        on_played = self._on_played
        if on_played is not None:
            on_played(outdata[:, 0])
        on_drained = self._on_drained
        if on_drained is not None and not len(self._queue.ring):
            self._on_drained = None
            on_drained()
        self._callbacks += 1
        idle_stop = self.idle_stop_seconds
        if (idle_stop is not None and not self._stop_posted and self._queue.idle_seconds >= idle_stop
                and not self._queue.reply_open and on_played is None and self._loop is not None):
            self._stop_posted = True  # once per pause: the loop checks again and decides
            self._loop.call_soon_threadsafe(self._stop_if_idle)

    # -- stopping when idle, starting on the next reply (event loop side) ------------------------
    def _control(self, name: str, call: Callable[[], object]) -> None:
        started = time.perf_counter()
        with audio_thread_priority():  # a started stream's threads inherit this thread's policy
            call()
        self.control_seconds.append((name, time.perf_counter() - started))
        del self.control_seconds[:-1000]

    def _start(self) -> None:
        assert self._stream is not None
        self._stop_posted, self._callbacks = False, 0  # before the callback thread exists
        try:
            self._control("start", self._stream.start)
        except self._sd.PortAudioError:
            self._fall_back()
            return
        self._running = True
        self._opened_at = time.monotonic()  # a stream may report an underflow while it starts
        if self._loop is not None and self.idle_stop_seconds is not None:
            self._loop.call_later(START_CHECK_SECONDS, self._check_started, self._stream)

    def _check_started(self, stream: Any) -> None:
        if stream is self._stream and self._running and not self._callbacks:
            self._fall_back()

    def _fall_back(self) -> None:
        """Restarting misbehaves on this device: reopen the stream and keep it running (no idle stop)."""
        self.idle_stop_seconds = None
        old, self._stream, self._running = self._stream, None, False
        with contextlib.suppress(self._sd.PortAudioError):
            old.abort()
        with contextlib.suppress(self._sd.PortAudioError):
            old.close()
        try:
            self._stream = self._open(self.block_seconds)
            self._control("start", self._stream.start)
            self._running = True
        except self._sd.PortAudioError:
            self._stream = None  # nothing plays from now on; the underflow count shows it

    def _stop_if_idle(self) -> None:
        # If it declines, the stream runs on until the next reply (play() lets the callback ask again).
        idle_stop = self.idle_stop_seconds
        if (idle_stop is None or not self._running or self._stream is None or self.on_played is not None
                or not self._queue.quiet or self._queue.idle_seconds < idle_stop):
            return
        # Only silence is left in the device: drop it rather than wait for it (stop() drains).
        try:
            self._control("abort", self._stream.abort)
        except self._sd.PortAudioError:
            self._fall_back()
            return
        self._running = False
        self._queue.discard_device()

    # -- growing the blocks after underflows (event loop side) ------------------------------------
    def _on_underflow(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if now - self._opened_at < SETTLE_SECONDS:  # a stream may report one while it starts
            return
        self._recent_underflows.append(now)
        while self._recent_underflows[0] < now - UNDERFLOW_WINDOW_SECONDS:
            self._recent_underflows.popleft()
        if len(self._recent_underflows) >= UNDERFLOWS_TO_GROW and self._grow_timer is None:
            self._grow_when_silent()

    def _grow_when_silent(self) -> None:
        self._grow_timer = None
        if self._stream is None or self.block_seconds * 2 > self._max_block_seconds + 1e-9:
            return
        if self._queue.audible or len(self._queue.ring) or self._queue.reply_open:
            assert self._loop is not None
            self._grow_timer = self._loop.call_later(GROW_CHECK_SECONDS, self._grow_when_silent)
            return
        # Nothing is audible: swap streams now (opening takes a few ms of this loop, once or twice).
        old_latency = self._queue.latency_samples / self._queue.rate
        try:
            stream = self._open(self.block_seconds * 2)
        except self._sd.PortAudioError:  # keep the stream that works
            self._max_block_seconds = self.block_seconds
            self._queue.set_latency(old_latency)
            return
        old, self._stream = self._stream, stream
        old.abort()
        old.close()
        self._recent_underflows.clear()
        if self._running:
            self._control("start", stream.start)

    def _close(self, *, abort: bool) -> None:
        if self._grow_timer is not None:
            self._grow_timer.cancel()
            self._grow_timer = None
        stream, self._stream = self._stream, None
        running, self._running = self._running, False
        if stream is not None:
            if running:
                if abort:
                    stream.abort()
                else:
                    stream.stop()
            stream.close()
