"""Acoustic echo cancellation: WebRTC's AEC3 and noise suppression, through livekit's AudioProcessingModule.

With laptop speakers the agent's voice comes back through the microphone. The canceller learns the echo
path from what the speaker played (the reference) and subtracts it from each microphone frame, so the
user can talk over the agent (full duplex) instead of waiting for it (the half-duplex EchoGuard).

Timing: the speaker reports every block it hands to the device with the moment it will be heard
(``reference(pcm, played_at=...)``; any thread). Before a microphone frame is cleaned, the reference
heard up to that moment goes to the canceller first, so the reference always leads its echo in the
microphone (the capture path only adds delay on the microphone side); AEC3 estimates the remaining
delay itself (tested up to 500 ms) and follows it as the two devices' clocks drift.

livekit is an optional extra (``voicecli[aec]``) and is imported only when a canceller is made:
loading it takes ~0.5 s. See docs/echo.md for the choice of library and the measured figures.
"""

from __future__ import annotations

import importlib.util
import math
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from voicecli.audio.aec_delay import BulkDelay
from voicecli.audio.levels import dbfs
from voicecli.errors import AudioError
from voicecli.events import FRAME_BYTES, FRAME_RATE, OUTPUT_RATE

EXTRA = "voicecli[aec]"
PACKAGE = "livekit"
INSTALL_HINT = f"pip install '{EXTRA}'"
CHUNK_SECONDS = 0.010
"""The audio processing module takes exactly 10 ms per call, on both sides."""
TARGET_LEAD_S = 0.15
"""What is left of the delay for AEC3 to find once the bulk delay is taken out: room for jitter and
drift either way, well inside the ~0.5 s it handles."""
RESYNC_SECONDS = 0.030
STALE_SECONDS = 0.5
"""Reference heard longer ago than this when its turn comes (the microphone stalled) is dropped: no
echo in the frame can match it, and a burst of it would overrun the canceller's render queue."""
MAX_QUEUED_BLOCKS = 800
"""Speaker blocks (5-20 ms) kept while nothing is processed: a bound on memory, not a delay."""

BARGE_IN_FLOOR_DBFS = -50.0
"""Cleaned frames quieter than this are not speech. webrtcvad calls very faint sounds speech, and
what the canceller leaves of the echo comes in short bursts at -55 to -75 dBFS (bench/bench_aec.py
prints the loudest); a user speaking to a laptop reaches the mic at -25 to -45 dBFS."""

_HEADSET_WORDS = re.compile(
    r"head ?(set|phone)s?|ear ?(phone|bud|piece)s?|airpods|\bbuds\b|hands[- ]?free|\bhfp\b|\bhsp\b",
    re.IGNORECASE,
)


class AecUnavailable(AudioError):
    """Echo cancellation was asked for but its library cannot be loaded."""


def unavailable_reason() -> str | None:
    """None when the echo canceller can be used; otherwise one line saying what is missing and the fix."""
    try:
        found = importlib.util.find_spec("livekit.rtc") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return f"echo cancellation needs the {PACKAGE} package: {INSTALL_HINT}"
    return None


def available() -> bool:
    """Whether the echo canceller's library is installed (cheap: nothing is loaded)."""
    return unavailable_reason() is None


def is_headset(output_device_name: str | None) -> bool:
    """Whether an output device's name says it sits on the ears (no echo path to cancel)."""
    return bool(output_device_name and _HEADSET_WORDS.search(output_device_name))


def should_enable(output_device_name: str | None, forced: bool | None) -> bool:
    """``--aec`` / ``--no-aec`` (``forced``) decide; otherwise on when installed and not a headset.

    A forced ``True`` is returned even when the library is missing, so the caller's EchoCanceller()
    raises AecUnavailable with the fix instead of the user silently getting no cancellation.
    """
    if forced is not None:
        return forced
    return available() and not is_headset(output_device_name)


def speech_classifier(floor_dbfs: float = BARGE_IN_FLOOR_DBFS, aggressiveness: int = 2) -> Callable[[bytes], bool]:
    """Per-frame speech decision for cleaned frames, for ``LocalVad(classifier=...)``: webrtcvad, and
    only above ``floor_dbfs`` so the canceller's faint residue never starts a barge-in."""
    import webrtcvad

    vad = webrtcvad.Vad(aggressiveness)

    def is_speech(frame: bytes) -> bool:
        return dbfs(frame) > floor_dbfs and bool(vad.is_speech(frame, FRAME_RATE))

    return is_speech


def _load_livekit() -> Any:
    try:
        from livekit import rtc
    except (ImportError, OSError) as error:  # OSError: the native library does not load here
        raise AecUnavailable(f"echo cancellation cannot load {PACKAGE} ({error}); {INSTALL_HINT}") from error
    return rtc


class EchoCanceller:
    """Cleans 16 kHz 20 ms microphone frames of the speaker's echo (plus noise suppression).

    ``reference()`` may be called from any thread (the speaker's PortAudio callback): it only appends
    to a deque. ``process()`` runs on the thread that owns the canceller (the event loop) and makes
    all calls into the library.
    """

    def __init__(
        self,
        *,
        reference_rate: int = OUTPUT_RATE,
        noise_suppression: bool = True,
        high_pass_filter: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rtc = _load_livekit()
        self._apm = self._rtc.AudioProcessingModule(
            echo_cancellation=True, noise_suppression=noise_suppression, high_pass_filter=high_pass_filter,
        )
        self.reference_rate = reference_rate
        self._clock = clock
        self._ref_chunk_bytes = round(reference_rate * CHUNK_SECONDS) * 2
        self._mic_chunk_samples = round(FRAME_RATE * CHUNK_SECONDS)
        # (moment heard, PCM16) from the speaker; a bounded deque's append is atomic, so the speaker's
        # thread needs no lock.
        self._incoming: deque[tuple[float, bytes]] = deque(maxlen=MAX_QUEUED_BLOCKS)
        self._heard: deque[tuple[float, bytes]] = deque()  # heard, held back by the bulk delay
        self._due = bytearray()  # reference due to the canceller, not yet a whole 10 ms chunk
        self._bulk = BulkDelay()
        self.hold_back_s = 0.0
        """How long reference is held back after it is heard (the bulk delay less TARGET_LEAD_S)."""
        self.frames = 0
        """Microphone frames cleaned."""
        self.reference_seconds = 0.0
        """Reference audio handed to the canceller."""
        self.dropped_reference_seconds = 0.0
        """Reference dropped because it came too late to match any echo (STALE_SECONDS)."""
        self._stream_delay_ms = 0
        self._next_heard_at = -math.inf  # touched only by the thread calling reference()

    def reference(self, pcm: bytes, played_at: float | None = None) -> None:
        """What the speaker plays (PCM16 mono at ``reference_rate``), heard from ``played_at`` on
        (the canceller's clock; now when omitted). Silence counts too: it keeps the timeline whole."""
        if len(pcm) % 2:
            raise AudioError(f"reference audio must be whole PCM16 samples, got {len(pcm)} bytes")
        if not pcm:
            return
        heard_at = self._clock() if played_at is None else played_at
        # Callbacks come late or early by a few ms on a busy machine, but the device plays samples
        # back to back: stamp each block where the previous one ended, and follow the caller's stamp
        # only when it moves further than RESYNC_SECONDS (a gap after an underflow, a reopened stream).
        # AEC3 tolerates a steady delay, not a jittering one.
        if abs(heard_at - self._next_heard_at) < RESYNC_SECONDS:
            heard_at = self._next_heard_at
        self._next_heard_at = heard_at + len(pcm) / 2 / self.reference_rate
        self._incoming.append((heard_at, bytes(pcm)))

    def set_delay_hint(self, delay_ms: float) -> None:
        """What is known of the delay from the speaker to processing (capture latency): a hint, since
        AEC3 estimates the delay itself."""
        self._stream_delay_ms = max(0, round(delay_ms))

    def process(self, frame: bytes, captured_at: float | None = None) -> bytes:
        """One 20 ms 16 kHz microphone frame -> the same frame without the echo.

        ``captured_at`` is when the frame's newest sample was captured (now when omitted): reference
        heard up to then goes to the canceller first.
        """
        if len(frame) != FRAME_BYTES:
            raise AudioError(f"echo canceller frames must be {FRAME_BYTES} bytes (20 ms at 16 kHz), "
                             f"got {len(frame)}")
        now = self._clock() if captured_at is None else captured_at
        self._follow_delay(self._take_heard(now), frame)
        self._feed_reference(now - self.hold_back_s)
        out = bytearray(frame)
        half = self._mic_chunk_samples * 2
        for start in (0, half):
            chunk = self._rtc.AudioFrame(bytearray(out[start : start + half]), FRAME_RATE, 1,
                                         self._mic_chunk_samples)
            self._apm.set_stream_delay_ms(self._stream_delay_ms)  # AEC3 wants it before every call
            self._apm.process_stream(chunk)
            out[start : start + half] = chunk.data.cast("B")
        self.frames += 1
        return bytes(out)

    def _take_heard(self, now: float) -> float:
        """Moves what the speaker has played by ``now`` to the held-back queue; returns its RMS."""
        energy, count = 0.0, 0
        while self._incoming and self._incoming[0][0] <= now:
            item = self._incoming.popleft()
            self._heard.append(item)
            samples = np.frombuffer(item[1], np.int16).astype(np.float64)
            energy += float(np.dot(samples, samples))
            count += samples.size
        return math.sqrt(energy / count) if count else 0.0

    def _follow_delay(self, reference_rms: float, frame: bytes) -> None:
        mic = np.frombuffer(frame, np.int16).astype(np.float64)
        if self._bulk.push(reference_rms, math.sqrt(float(np.dot(mic, mic)) / mic.size)):
            assert self._bulk.delay_s is not None
            self.hold_back_s = max(0.0, self._bulk.delay_s - TARGET_LEAD_S)

    @property
    def delay_estimate_s(self) -> float | None:
        """The bulk echo delay measured so far (speaker heard -> microphone frame), if any."""
        return self._bulk.delay_s

    def _feed_reference(self, until: float) -> None:
        while self._heard and self._heard[0][0] <= until:
            heard_at, pcm = self._heard.popleft()
            if heard_at < until - STALE_SECONDS:
                self.dropped_reference_seconds += len(pcm) / 2 / self.reference_rate
                continue
            self._due += pcm
        size = self._ref_chunk_bytes
        whole = len(self._due) // size * size
        samples = size // 2
        for start in range(0, whole, size):
            chunk = self._rtc.AudioFrame(bytearray(self._due[start : start + size]), self.reference_rate, 1,
                                         samples)
            self._apm.process_reverse_stream(chunk)
        del self._due[:whole]
        self.reference_seconds += whole / 2 / self.reference_rate


def speaker_tap(canceller: EchoCanceller, latency: Callable[[], float]) -> Callable[[Any], None]:
    """What the speaker's PortAudio callback calls with each block it hands to the device (int16
    samples at the device rate): the block becomes reference, heard once the device's buffers
    (``latency()`` seconds) have played out."""

    def on_played(block: Any) -> None:
        canceller.reference(block.tobytes(), played_at=time.monotonic() + latency())

    return on_played
