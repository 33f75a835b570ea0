"""Coarse echo delay: how long after the speaker plays something its echo is in the microphone frames.

AEC3 finds the delay itself, but only within about half a second of reference lead (measured: 0.5 s
cancels, 0.6 s does not). Sound servers, Bluetooth speakers and the virtual loop (~0.65-0.9 s) buffer
more than that, beyond what the devices report. So the canceller holds the reference back by this
estimate, less a margin, and lets AEC3 find the rest.

The estimate cross-correlates two envelopes at 50 Hz (one value per 20 ms frame): the level of the
reference as it is heard and the level of the raw microphone. Speech envelopes are peaky enough that
2 s of them give a clear peak; the estimate is taken only when the peak is clearly correlated and the
same lag shows twice in a row (or, for the first estimate, the peak is very clear), so a user talking
over the agent does not move it.
"""

from __future__ import annotations

from collections import deque

import numpy as np

FRAME_SECONDS = 0.020
WINDOW_FRAMES = 100
"""2 s of envelope per estimate."""
MAX_LAG_FRAMES = 100
"""Up to 2 s of delay."""
EVERY_FRAMES = 10
MIN_CORRELATION = 0.5
SURE_CORRELATION = 0.75
"""The first estimate is taken at once when this clear (the sooner the reference is aligned, the
less echo leaks at the start of the first reply); later changes need two agreeing estimates."""
AGREE_FRAMES = 2
"""Two estimates within 40 ms of each other make a new delay."""
AUDIBLE_RMS = 30.0
"""-60 dBFS: a frame of reference louder than this counts as the agent speaking."""
MIN_ACTIVE_FRAMES = 40
"""The reference must have been audible in this many frames of the window (0.8 s of speech)."""


class BulkDelay:
    def __init__(self) -> None:
        self._ref: deque[float] = deque(maxlen=WINDOW_FRAMES + MAX_LAG_FRAMES)
        self._mic: deque[float] = deque(maxlen=WINDOW_FRAMES + MAX_LAG_FRAMES)
        self._count = 0
        self._candidate: int | None = None
        self.delay_s: float | None = None
        """The current estimate (None until the first confident one)."""
        self.correlation = 0.0

    def push(self, reference_rms: float, mic_rms: float) -> bool:
        """One frame's levels; True when the estimate changed."""
        self._ref.append(reference_rms)
        self._mic.append(mic_rms)
        self._count += 1
        if self._count % EVERY_FRAMES or len(self._mic) <= WINDOW_FRAMES:
            return False
        lag = self._estimate()
        if lag is None:
            return False
        agreed = self._candidate is not None and abs(lag - self._candidate) <= AGREE_FRAMES
        agreed = agreed or (self.delay_s is None and self.correlation >= SURE_CORRELATION)
        self._candidate = lag
        if not agreed:
            return False
        delay = lag * FRAME_SECONDS
        if self.delay_s is not None and abs(delay - self.delay_s) <= AGREE_FRAMES * FRAME_SECONDS:
            return False
        self.delay_s = delay
        return True

    def _estimate(self) -> int | None:
        ref = np.log1p(np.asarray(self._ref))
        mic = np.log1p(np.asarray(self._mic))
        window = mic[-WINDOW_FRAMES:]
        if np.count_nonzero(np.asarray(self._ref) > AUDIBLE_RMS) < MIN_ACTIVE_FRAMES:
            return None
        window = window - window.mean()
        best, best_lag = -1.0, 0
        for lag in range(min(MAX_LAG_FRAMES, ref.size - WINDOW_FRAMES) + 1):
            end = ref.size - lag
            segment = ref[end - WINDOW_FRAMES : end]
            segment = segment - segment.mean()
            denominator = float(np.linalg.norm(segment) * np.linalg.norm(window))
            if denominator <= 0:
                continue
            value = float(np.dot(segment, window)) / denominator
            if value > best:
                best, best_lag = value, lag
        self.correlation = best
        return best_lag if best >= MIN_CORRELATION else None
