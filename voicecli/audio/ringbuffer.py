"""A growable ring of int16 samples shared by the event loop (writer) and the PortAudio thread (reader).

Positions are absolute sample counts since the start, so a reply can be located in the stream and the
played position of a reply is exact. All methods take the lock; each holds it for one copy.
"""

from __future__ import annotations

import threading

import numpy as np

from voicecli.audio.reframer import Int16Array


class RingBuffer:
    def __init__(self, capacity: int = 1 << 16) -> None:
        self._buffer = np.zeros(max(16, capacity), np.int16)
        self._lock = threading.Lock()
        self.write_pos = 0
        """Samples ever written."""
        self.read_pos = 0
        """Samples ever read or discarded."""

    def __len__(self) -> int:
        return self.write_pos - self.read_pos

    @property
    def capacity(self) -> int:
        return int(self._buffer.size)

    def write(self, samples: Int16Array) -> None:
        """Append; grows the buffer instead of blocking or dropping (replies arrive faster than real time)."""
        with self._lock:
            self._write_locked(samples)

    def _write_locked(self, samples: Int16Array) -> None:
        count = int(samples.size)
        if len(self) + count > self._buffer.size:
            self._grow(len(self) + count)
        start = self.write_pos % self._buffer.size
        first = min(count, self._buffer.size - start)
        self._buffer[start : start + first] = samples[:first]
        self._buffer[: count - first] = samples[first:]
        self.write_pos += count

    def read_into(self, out: Int16Array) -> int:
        """Fill ``out`` from the head; returns how many samples were real (the rest are zeroed)."""
        with self._lock:
            count = min(len(self), int(out.size))
            start = self.read_pos % self._buffer.size
            first = min(count, self._buffer.size - start)
            out[:first] = self._buffer[start : start + first]
            out[first:count] = self._buffer[: count - first]
            out[count:] = 0
            self.read_pos += count
            return count

    def clear(self) -> int:
        """Discard everything queued; returns how many samples were dropped."""
        with self._lock:
            dropped = len(self)
            self.read_pos = self.write_pos
            return dropped

    def fade_out(self, length: int) -> int:
        """Barge-in: keep only the next ``length`` samples, faded linearly to zero; drop the rest.

        Done in place under one lock hold, so the reader sees either the old queue or the faded head,
        never a gap before it; positions stay continuous (the write position moves back).
        Returns how many samples were dropped.
        """
        with self._lock:
            keep = min(length, len(self))
            index = (self.read_pos + np.arange(keep)) % self._buffer.size
            self._buffer[index] = apply_fade_out(self._buffer[index])
            dropped = len(self) - keep
            self.write_pos = self.read_pos + keep
            return dropped

    def _grow(self, needed: int) -> None:
        size = self._buffer.size
        while size < needed:
            size *= 2
        queued = len(self)
        start = self.read_pos % self._buffer.size
        ordered = np.concatenate([self._buffer[start:], self._buffer[:start]])[:queued]
        self._buffer = np.zeros(size, np.int16)
        self._buffer[:queued] = ordered
        # Re-base so that read_pos maps to index 0 of the new buffer.
        offset = self.read_pos % size
        self._buffer = np.roll(self._buffer, offset)


def apply_fade_out(samples: Int16Array) -> Int16Array:
    """A linear ramp from full level down to zero over the given samples (the last one is 0)."""
    if samples.size == 0:
        return samples
    ramp = np.linspace(1.0, 0.0, samples.size, dtype=np.float64)
    return np.round(samples * ramp).astype(np.int16)
