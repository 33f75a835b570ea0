"""When to try the next reconnect, and when to stop trying.

Jittered exponential backoff with an attempt budget. The first retry is immediate (most drops
are one-off); later ones wait ``base_s * 2**(n-2)`` capped at ``cap_s``, jittered so many
clients dropped at once do not reconnect in lockstep. The budget refills only after a
connection has stayed up for ``stable_after_s``: a connection that drops right after opening
does not buy a fresh set of attempts.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from enum import Enum


class Jitter(Enum):
    FULL = "full"
    """Uniform in [0, d]: spreads clients most, but may retry almost at once."""

    EQUAL = "equal"
    """Uniform in [d/2, d]: keeps at least half the delay, so the old socket has time to close."""


class Backoff:
    """Reconnect pacing for one conversation. Time comes from ``clock`` (monotonic seconds)."""

    def __init__(
        self,
        clock: Callable[[], float],
        rng: random.Random,
        *,
        base_s: float = 1.0,
        cap_s: float = 15.0,
        budget: int = 6,
        stable_after_s: float = 30.0,
        jitter: Jitter = Jitter.EQUAL,
    ) -> None:
        if budget < 1:
            raise ValueError("budget must be at least 1")
        if base_s < 0 or cap_s < base_s:
            raise ValueError("need 0 <= base_s <= cap_s")
        self._clock = clock
        self._rng = rng
        self.base_s = base_s
        self.cap_s = cap_s
        self.budget = budget
        self.stable_after_s = stable_after_s
        self.jitter = jitter
        self._attempt = 0
        self._connected_at: float | None = None

    @property
    def attempt(self) -> int:
        """Attempts used since the budget was last refilled (0 while nothing failed)."""
        return self._attempt

    @property
    def exhausted(self) -> bool:
        return self._attempt >= self.budget

    def status_text(self) -> str:
        """The status line while reconnecting, e.g. ``reconnecting (2/6)``."""
        return f"reconnecting ({self._attempt}/{self.budget})"

    def next_delay(self) -> float | None:
        """Seconds to wait before the next connection attempt, or None when the budget is spent.

        Call it once per attempt, when the connection is lost or an attempt fails.
        """
        self.stable_check()
        self._connected_at = None
        if self._attempt >= self.budget:
            return None
        self._attempt += 1
        if self._attempt == 1:
            return 0.0
        ceiling = min(self.cap_s, self.base_s * 2.0 ** (self._attempt - 2))
        if self.jitter is Jitter.FULL:
            return self._rng.uniform(0.0, ceiling)
        return ceiling / 2 + self._rng.uniform(0.0, ceiling / 2)

    def connected(self) -> None:
        """A connection is up (setup complete); the stability timer starts now."""
        self._connected_at = self._clock()

    def stable_check(self) -> bool:
        """Refill the budget if the current connection has been up for ``stable_after_s``.

        Returns True when the connection counts as stable.
        """
        if self._connected_at is None:
            return False
        if self._clock() - self._connected_at < self.stable_after_s:
            return False
        self._attempt = 0
        return True

    def reset(self) -> None:
        """Forget every attempt (e.g. the user started a new conversation)."""
        self._attempt = 0
        self._connected_at = None
