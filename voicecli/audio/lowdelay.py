"""A low-delay polyphase FIR resampler for the microphone path.

soxr's filters are linear-phase and long, so its stream holds output back until enough input has
arrived to centre the filter: up to 20 ms at "LQ" and 37 ms at "HQ" for 48 kHz -> 16 kHz. A frame's
newest sample therefore waits for one or two more device blocks. Speech needs far less: a band flat to
~6.4 kHz with everything above 8 kHz (what would fold back) down by 80 dB takes a 151-tap Kaiser FIR at
48 kHz, whose delay is 1.6 ms. This filter is causal and emits every output sample as soon as the input
sample at its instant has arrived, so a 20 ms device block yields its 20 ms frame at once.

Any rational ratio works (44.1 kHz -> 16 kHz is 160/441): the prototype low-pass is designed at
``in_rate * up`` and applied as ``up`` polyphase branches, stepping ``down`` branches per output.
Whatever the block split, the output is the same to within one LSB (float32 sums in another order);
the state is the input rows the next output still reads and two counters.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]

ATTENUATION_DB = 80.0
"""Stop-band rejection: aliases folding into the speech band stay 80 dB down."""
TRANSITION = 0.1
"""Transition band as a fraction of the lower rate: 6.4-8 kHz for a 16 kHz output."""


class LowDelayResampler:
    """Stateful: feed blocks of int16 samples in order with `resample_chunk`, like soxr's ResampleStream.

    The work is one matrix product per block: input is laid out in rows of ``down`` samples (one
    period, which gives ``up`` outputs), each period's output reads the ``rows`` rows ending at its own,
    and ``_taps[k, p]`` weighs sample ``k`` of those rows in output ``p`` of the period.
    """

    def __init__(self, in_rate: int, out_rate: int, *, attenuation_db: float = ATTENUATION_DB,
                 transition: float = TRANSITION) -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise ValueError(f"rates must be positive, got {in_rate} -> {out_rate}")
        common = math.gcd(in_rate, out_rate)
        self.up, self.down = out_rate // common, in_rate // common
        self.in_rate, self.out_rate = in_rate, out_rate
        low = min(in_rate, out_rate)
        width = transition * low
        cutoff = low / 2 - width / 2  # centre of the transition band; the stop band starts at low / 2
        # Kaiser's estimate of the length for this attenuation and transition, counted at the input rate.
        self.taps = math.ceil((attenuation_db - 7.95) / (14.36 * width / in_rate))
        proto_rate = in_rate * self.up
        length = self.taps * self.up
        t = (np.arange(length) - (length - 1) / 2) / proto_rate
        prototype = np.sinc(2 * cutoff * t) * np.kaiser(length, 0.1102 * (attenuation_db - 8.7))
        prototype *= self.up / prototype.sum()  # unity gain once the zero-stuffing by `up` is undone
        self.delay_seconds = (length - 1) / 2 / proto_rate
        """How far the output lags the input (the filter's group delay); nothing is held back."""
        self._rows = 1 + -(-(self.taps - 1) // self.down)
        self._taps = self._layout(prototype)
        self.clear()

    def _layout(self, prototype: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
        span = self._rows * self.down
        weights = np.zeros((span, self.up), np.float64)
        for p in range(self.up):
            newest, branch = divmod(p * self.down, self.up)  # output p: its newest input and filter branch
            lags = np.arange(self.taps)
            # Sample `newest - lag` of this period sits at row offset (rows - 1) * down + newest - lag.
            weights[(self._rows - 1) * self.down + newest - lags, p] = prototype[branch + lags * self.up]
        return weights.astype(np.float32)

    def clear(self) -> None:
        self._first_row = 1 - self._rows  # the rows the first period reaches back over are silence
        self._buffer = np.zeros((self._rows - 1) * self.down, np.float32)  # input from `_first_row` on
        self._consumed = 0  # input samples seen
        self._produced = 0  # output samples emitted

    def resample_chunk(self, samples: Int16Array, last: bool = False) -> Int16Array:
        """Every output sample whose instant the input has reached; ``last`` adds the delayed tail."""
        if last:
            tail = math.ceil(self.delay_seconds * self.in_rate) + 1
            samples = np.concatenate([samples, np.zeros(tail, np.int16)])
        self._consumed += int(samples.size)
        self._buffer = np.concatenate([self._buffer, samples.astype(np.float32)])
        end = (self._consumed * self.up - 1) // self.down + 1  # outputs whose newest input has arrived
        if end <= self._produced:
            return np.zeros(0, np.int16)
        up, down, rows = self.up, self.down, self._rows
        first, last_period = self._produced // up, (end - 1) // up
        periods = last_period - first + 1
        start = (first - rows + 1 - self._first_row) * down
        segment = self._buffer[start : start + (periods + rows - 1) * down]
        if segment.size < (periods + rows - 1) * down:
            # The last period is partial: the outputs taken from it weigh only inputs that have arrived.
            segment = np.concatenate([segment, np.zeros((periods + rows - 1) * down - segment.size, np.float32)])
        # One row per period, overlapping by rows - 1 input rows; copied so that BLAS can take it.
        windows = np.ndarray((periods, rows * down), np.float32, buffer=segment,
                             strides=(down * segment.itemsize, segment.itemsize)).copy()
        values = (windows @ self._taps).reshape(-1)[self._produced - first * up : end - first * up]
        self._produced = end
        keep_from = self._produced // up - rows + 1  # the oldest row the next output reads
        if keep_from > self._first_row:
            self._buffer = self._buffer[(keep_from - self._first_row) * down :]
            self._first_row = keep_from
        np.rint(values, out=values)
        np.minimum(values, 32767, out=values)
        np.maximum(values, -32768, out=values)
        out: Int16Array = values.astype(np.int16)
        return out
