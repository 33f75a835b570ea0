"""Microphone audio captured while the connection is down, sent once the session resumes."""

from __future__ import annotations

from collections import deque

from voicecli.events import FRAME_RATE

BYTES_PER_SECOND = FRAME_RATE * 2  # 16 kHz PCM16: 10 s of gap is 500 frames of 20 ms


class GapBuffer:
    """A bounded FIFO of PCM frames; when full the oldest frame goes and is counted.

    Oldest-first dropping keeps the end of what the user said, which is what the agent must
    answer; the counters let the UI say how much was lost.
    """

    def __init__(self, max_seconds: float = 10.0) -> None:
        if max_seconds <= 0:
            raise ValueError("max_seconds must be positive")
        self.max_bytes = int(max_seconds * BYTES_PER_SECOND)
        self._frames: deque[bytes] = deque()
        self._bytes = 0
        self.dropped_frames = 0
        self.dropped_bytes = 0

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def buffered_bytes(self) -> int:
        return self._bytes

    @property
    def buffered_seconds(self) -> float:
        return self._bytes / BYTES_PER_SECOND

    @property
    def dropped_seconds(self) -> float:
        return self.dropped_bytes / BYTES_PER_SECOND

    def push(self, frame: bytes) -> None:
        self._frames.append(frame)
        self._bytes += len(frame)
        # Always keep the newest frame, even if it alone is over the bound.
        while self._bytes > self.max_bytes and len(self._frames) > 1:
            dropped = self._frames.popleft()
            self._bytes -= len(dropped)
            self.dropped_frames += 1
            self.dropped_bytes += len(dropped)

    def drain(self) -> list[bytes]:
        """Everything buffered, oldest first; the buffer is empty afterwards."""
        frames = list(self._frames)
        self._frames.clear()
        self._bytes = 0
        return frames

