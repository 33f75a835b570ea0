"""Signal levels in dBFS, shared by capture, playback and the echo guard."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

SILENCE_DBFS = -100.0
"""The floor reported for digital silence, so levels stay finite numbers."""

_FULL_SCALE = 32768.0


def dbfs(pcm: bytes | npt.NDArray[np.int16]) -> float:
    """RMS level of PCM16 audio relative to full scale; SILENCE_DBFS for empty or all-zero input."""
    samples = np.frombuffer(pcm, dtype=np.int16) if isinstance(pcm, bytes | bytearray) else pcm
    if samples.size == 0:
        return SILENCE_DBFS
    mean_square = float(np.mean(np.square(samples, dtype=np.float64)))
    if mean_square <= 0.0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 10.0 * math.log10(mean_square) - 20.0 * math.log10(_FULL_SCALE))
