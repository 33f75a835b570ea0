"""Garbage collection for an emulator that has its process to itself (the ``voicecli emulator`` command).

A closed connection leaves about a hundred to three hundred objects in reference cycles: its websockets,
TLS and asyncio parts point at one another. They lived long enough to reach the oldest generation, so
only a full collection frees them, and CPython runs one when enough has piled up. After a hundred
sessions end, that one collection frees ~30,000 objects and stops every live session for 30-40 ms
(bench/bench_emulator.py), far beyond the 5 ms a paced speech chunk may be late.

So the emulator that owns its process does two things. At start-up it moves everything loaded so far
(modules, the scenario, TLS contexts) out of the collector's sight with ``gc.freeze()``, so a full
collection walks only the live sessions. And a little after connections close it runs a full
collection itself, at most once per ``min_interval_s``: the dead connections are freed a few at a time,
in pauses of about 0.1 ms per connection freed plus the walk over the live ones, instead of all at once.

An emulator embedded in another program (``talk --offline``, the tests) leaves the collector alone: the
process is not its own to tune.
"""

from __future__ import annotations

import asyncio
import gc
import time

COLLECT_DELAY_S = 0.5
"""Wait this long after a close: the connection's last parts (closing handshake, transport) are gone by then."""
MIN_INTERVAL_S = 1.0
"""At most one collection per this long, however many connections close."""


class GarbagePolicy:
    """When the collector runs in an emulator's process; does nothing unless ``enabled``."""

    def __init__(self, *, enabled: bool, delay_s: float = COLLECT_DELAY_S,
                 min_interval_s: float = MIN_INTERVAL_S) -> None:
        self.enabled = enabled
        self.collections = 0
        """Collections run after closes so far."""
        self._delay_s = delay_s
        self._min_interval_s = min_interval_s
        self._scheduled: asyncio.TimerHandle | None = None
        self._last_at = float("-inf")

    def settle(self) -> None:
        """Start-up is over: collect once, then keep what is left out of every later collection."""
        if self.enabled:
            gc.collect()
            gc.freeze()

    def connection_closed(self) -> None:
        """A connection ended: free its cycles soon, together with any other that ends meanwhile."""
        if not self.enabled or self._scheduled is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(self._delay_s, self._last_at + self._min_interval_s - time.monotonic())
        self._scheduled = loop.call_later(delay, self._collect)

    def close(self) -> None:
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None

    def _collect(self) -> None:
        self._scheduled = None
        gc.collect()
        self._last_at = time.monotonic()
        self.collections += 1
