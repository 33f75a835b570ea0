"""Where the speech in an utterance ends, so the recogniser can start its last pass early.

A 10 ms frame counts as voiced when it is louder than the noise floor by ``FLOOR_MARGIN_DB``,
within ``PEAK_RANGE_DB`` of the loudest frame so far, and above an absolute minimum. The floor
starts no higher than ``FLOOR_START_MAX_DBFS`` (a turn may begin mid-word), falls at once to
quieter frames and creeps up under unvoiced ones, so steady noise becomes the floor. Levels are
smoothed over three frames so the gaps inside words do not count as pauses. Everything is measured
in samples on the audio's own timeline; nothing here reads a clock.
"""

from __future__ import annotations

import numpy as np

FRAME_SAMPLES = 160  # 10 ms at 16 kHz
FLOOR_MARGIN_DB = 10.0
PEAK_RANGE_DB = 35.0
MIN_VOICED_DBFS = -70.0
FLOOR_START_MAX_DBFS = -45.0
FLOOR_RISE_DB = 0.1  # per unvoiced frame: 10 dB a second
_SMOOTHING = 3


class SpeechEnd:
    """Tracks the end of the last voiced frame of 16 kHz audio pushed in pieces of any size."""

    def __init__(self) -> None:
        self.samples = 0
        self.voiced_end = 0  # sample index just after the last voiced frame; 0 while none
        self._floor = np.inf
        self._peak = -np.inf
        self._pending = np.zeros(0, np.float32)
        self._recent: list[float] = []

    @property
    def heard_speech(self) -> bool:
        return self.voiced_end > 0

    @property
    def trailing_quiet(self) -> int:
        """Samples since the last voiced frame (all samples while nothing was voiced)."""
        return self.samples - self.voiced_end

    def push(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        whole = len(data) // FRAME_SAMPLES * FRAME_SAMPLES
        self._pending = data[whole:].copy()
        if not whole:
            return
        frames = data[:whole].reshape(-1, FRAME_SAMPLES).astype(np.float64)
        levels = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
        for index, level in enumerate(levels):
            self._recent = [*self._recent[-(_SMOOTHING - 1) :], float(level)]
            smooth = 10 * np.log10(np.mean(np.power(10, np.array(self._recent) / 10)))
            self._floor = min(self._floor, smooth, FLOOR_START_MAX_DBFS) if np.isinf(self._floor) else min(
                self._floor, smooth)
            self._peak = max(self._peak, smooth)
            threshold = max(self._floor + FLOOR_MARGIN_DB, self._peak - PEAK_RANGE_DB, MIN_VOICED_DBFS)
            if smooth > threshold:
                self.voiced_end = self.samples + (index + 1) * FRAME_SAMPLES
            else:
                self._floor = min(smooth, self._floor + FLOOR_RISE_DB)
        self.samples += whole
