"""Server-side activity detection for the emulator: a streaming energy and zero-crossing detector.

Everything runs on the audio timeline: times are sample counts turned into seconds, never the
wall clock, so audio sent faster than real time, or in odd-sized pieces, gives the same events.

Audio is analysed in 10 ms frames. A frame is *voiced* when its level clears an adaptive noise
floor by a margin (and an absolute minimum), unless it is a quiet, noise-like frame (a high
zero-crossing rate just above the threshold). The states are quiet -> starting -> speaking:

* ``startOfSpeechSensitivity``: HIGH needs 60 ms of voiced audio and a 9 dB margin, LOW needs
  200 ms and 15 dB. ``prefixPaddingMs`` raises that amount: at least that much speech must be
  committed before SpeechStarted fires. SpeechStarted carries the onset of the committed speech,
  which is the trigger time minus the committed (padding) audio.
* ``endOfSpeechSensitivity``: while speaking, frames stay voiced above a lower margin
  (hysteresis). HIGH keeps that margin close to the start margin and waits exactly
  ``silenceDurationMs``; LOW keeps quieter tails as speech and waits 200 ms longer, so it ends later.
  SpeechEnded carries the end of the last voiced frame; it is emitted once the hangover has passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_FRAME_S = 0.010
_SILENCE_DB = -100.0
_ZCR_NOISE = 0.35  # white noise crosses zero on about half the samples; voiced speech far less
_ZCR_NOISE_MARGIN_DB = 6.0  # a noise-like frame this far above the threshold still counts as voiced
_GAP_FRAMES_WHILE_STARTING = 2  # short dips (stop closures) do not reset a start in progress
_FLOOR_FALL = 0.3  # per frame, towards quieter frames: the floor follows silence quickly
_FLOOR_RISE = 0.05  # per frame, towards unvoiced frames louder than the floor
_FLOOR_CREEP_DB = 0.02  # per frame (2 dB/s), under voiced frames: a lasting noise rise is absorbed
_FLOOR_INITIAL_MAX_DB = -45.0  # a stream that opens with speech must not take it for the floor


@dataclass(frozen=True)
class SpeechStarted:
    offset_s: float


@dataclass(frozen=True)
class SpeechEnded:
    offset_s: float


VadEvent = SpeechStarted | SpeechEnded


@dataclass(frozen=True)
class _StartProfile:
    voiced_ms: int
    margin_db: float
    minimum_db: float


@dataclass(frozen=True)
class _EndProfile:
    margin_below_start_db: float
    extra_hangover_ms: int


_START_PROFILES = {
    "HIGH": _StartProfile(voiced_ms=60, margin_db=9.0, minimum_db=-60.0),
    "LOW": _StartProfile(voiced_ms=200, margin_db=15.0, minimum_db=-50.0),
}
_END_PROFILES = {
    "HIGH": _EndProfile(margin_below_start_db=3.0, extra_hangover_ms=0),
    "LOW": _EndProfile(margin_below_start_db=6.0, extra_hangover_ms=200),
}


def _sensitivity(value: str, kind: str) -> str:
    """``START_SENSITIVITY_LOW`` / ``low`` -> ``LOW``; ``..._UNSPECIFIED`` or empty -> the default HIGH."""
    name = value.strip().upper()
    prefix = f"{kind}_SENSITIVITY_"
    if name.startswith(prefix):
        name = name[len(prefix) :]
    if name in {"", "UNSPECIFIED"}:
        return "HIGH"
    if name not in {"HIGH", "LOW"}:
        expected = f"{prefix}HIGH or {prefix}LOW"
        raise ValueError(f"unknown {kind.lower()} sensitivity {value!r} (expected {expected})")
    return name


class ServerVad:
    """Streaming activity detector over PCM16 little-endian mono audio at ``rate``."""

    def __init__(
        self,
        *,
        start_sensitivity: str = "START_SENSITIVITY_HIGH",
        end_sensitivity: str = "END_SENSITIVITY_HIGH",
        prefix_padding_ms: int = 20,
        silence_duration_ms: int = 500,
        rate: int = 16_000,
        clock_s: float = 0.0,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"sample rate must be positive, not {rate}")
        if prefix_padding_ms < 0 or silence_duration_ms < 0:
            raise ValueError("prefix padding and silence duration must not be negative")
        if clock_s < 0:
            raise ValueError("the audio clock must not be negative")
        start = _START_PROFILES[_sensitivity(start_sensitivity, "START")]
        end = _END_PROFILES[_sensitivity(end_sensitivity, "END")]

        self._rate = rate
        self._frame = max(1, round(rate * _FRAME_S))
        self._start_offset_s = clock_s
        self._start_margin = start.margin_db
        self._stay_margin = start.margin_db - end.margin_below_start_db
        self._minimum_db = start.minimum_db
        self._stay_minimum_db = start.minimum_db - end.margin_below_start_db
        commit_ms = max(start.voiced_ms, prefix_padding_ms)
        self._commit_samples = self._ms_to_samples(commit_ms)
        self._hangover_samples = self._ms_to_samples(silence_duration_ms + end.extra_hangover_ms)

        self._pending = bytearray()
        self._analysed = 0  # samples analysed since construction
        self._floor_db: float | None = None
        self.in_speech = False
        self._onset: int | None = None  # first voiced sample of a start in progress
        self._voiced_run = 0  # voiced samples committed towards a start
        self._gap_frames = 0
        self._last_voiced_end = 0  # sample just after the last voiced frame

    @property
    def clock_s(self) -> float:
        """Audio seconds consumed, including the clock this detector was resumed at."""
        return self._start_offset_s + (self._analysed + len(self._pending) // 2) / self._rate

    def push(self, pcm: bytes) -> list[VadEvent]:
        """Feed audio of any length (a trailing odd byte waits for its partner); return new events."""
        frame_bytes = self._frame * 2
        if not self._pending and len(pcm) % frame_bytes == 0:
            block, whole = pcm, len(pcm) // frame_bytes  # whole frames, as clients usually send: no copy
        else:
            self._pending += pcm
            whole = len(self._pending) // frame_bytes
            block = bytes(self._pending[: whole * frame_bytes])
            del self._pending[: whole * frame_bytes]
        if whole == 0:
            return []
        frames = np.frombuffer(block, dtype="<i2").reshape(whole, self._frame)
        # Sums of squares in float64 are exact (each frame's sum stays far below 2**53) and, in
        # two calls, cheaper than einsum's Python wrapper.
        squares = frames.astype(np.float64)
        squares *= squares
        powers = squares.sum(axis=1).tolist()
        levels = [_level_db(power / self._frame) for power in powers]
        if self._quiet_block(levels):
            return []

        events: list[VadEvent] = []
        for row, level in enumerate(levels):
            event = self._step(level, frames[row])
            if event is not None:
                events.append(event)
        return events

    def _quiet_block(self, levels: list[float]) -> bool:
        """Skip the per-frame steps for a block that cannot be voiced; only the noise floor moves.

        Nothing is under way (no speech, no start in progress) and every frame is below the absolute
        minimum a voiced frame needs, so each step would only update the floor, as done here.
        """
        if self.in_speech or self._onset is not None or max(levels) >= self._minimum_db:
            return False
        floor = self._floor_db
        for level in levels:
            if floor is None:
                floor = min(level, _FLOOR_INITIAL_MAX_DB)
            floor = _next_floor(floor, level, False)
        self._floor_db = floor
        self._analysed += self._frame * len(levels)
        return True

    def flush(self) -> list[VadEvent]:
        """End of the audio stream or of an activity: close an utterance in progress now."""
        self._onset = None
        self._voiced_run = 0
        self._gap_frames = 0
        if not self.in_speech:
            return []
        self.in_speech = False
        return [SpeechEnded(self._seconds(self._last_voiced_end))]

    def _step(self, level: float, frame: np.ndarray) -> VadEvent | None:
        floor = self._floor_db
        if floor is None:
            floor = min(level, _FLOOR_INITIAL_MAX_DB)
        frame_start = self._analysed
        self._analysed += self._frame
        frame_end = self._analysed

        if self.in_speech:
            voiced = _is_voiced(level, frame, floor, self._stay_margin, self._stay_minimum_db)
        else:
            voiced = _is_voiced(level, frame, floor, self._start_margin, self._minimum_db)
        self._floor_db = _next_floor(floor, level, voiced)

        if self.in_speech:
            if voiced:
                self._last_voiced_end = frame_end
                return None
            if frame_end - self._last_voiced_end >= self._hangover_samples:
                self.in_speech = False
                return SpeechEnded(self._seconds(self._last_voiced_end))
            return None

        if voiced:
            if self._onset is None:
                self._onset = frame_start
            self._voiced_run += self._frame
            self._gap_frames = 0
            self._last_voiced_end = frame_end
            if self._voiced_run >= self._commit_samples:
                onset = self._onset
                self._onset = None
                self._voiced_run = 0
                self.in_speech = True
                return SpeechStarted(self._seconds(onset))
        elif self._onset is not None:
            self._gap_frames += 1
            if self._gap_frames > _GAP_FRAMES_WHILE_STARTING:
                self._onset = None
                self._voiced_run = 0
                self._gap_frames = 0
        return None

    def _ms_to_samples(self, ms: int) -> int:
        return math.ceil(ms * self._rate / 1000)

    def _seconds(self, sample: int) -> float:
        return self._start_offset_s + sample / self._rate


def _level_db(mean_power: float) -> float:
    """Level in dBFS of a frame's mean sample power."""
    if mean_power <= 0.0:
        return _SILENCE_DB
    return max(10.0 * math.log10(mean_power / 32768.0**2), _SILENCE_DB)


def _is_voiced(level: float, frame: np.ndarray, floor: float, margin: float, minimum: float) -> bool:
    threshold = max(floor + margin, minimum)
    if level < threshold:
        return False
    if level >= threshold + _ZCR_NOISE_MARGIN_DB:
        return True
    # Just above the threshold: only count it if it is not noise-like.
    return _zero_crossing_rate(frame) < _ZCR_NOISE


def _zero_crossing_rate(frame: np.ndarray) -> float:
    """Sign changes per sample pair."""
    negative = frame < 0
    return int(np.count_nonzero(negative[1:] != negative[:-1])) / max(1, len(frame) - 1)


def _next_floor(floor: float, level: float, voiced: bool) -> float:
    if level < floor:
        return floor + (level - floor) * _FLOOR_FALL
    if not voiced:
        return floor + (level - floor) * _FLOOR_RISE
    return floor + min(level - floor, _FLOOR_CREEP_DB)
