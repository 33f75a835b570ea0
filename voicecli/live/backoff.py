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


LINGER_LADDER_S = (0.02, 0.04, 0.08, 0.16)
"""Waits before the next resume after a refusal while the dropped socket still lingers on the service
(see ``lingering_refusal``). The state lasts from a few to a few hundred milliseconds; the ladder covers
300 ms, after which the general backoff takes over."""
LINGER_CLOSE_CODE = 1011
_LINGER_WORDS = ("still attached", "already attached", "already connected", "still connected")


def lingering_refusal(code: int | None, reason: str, *, resuming: bool, during_setup: bool) -> bool:
    """Whether a failure is the service refusing a resume because the dropped socket is still attached.

    The service closes such a resume with 1011 during setup; its reason is usually the generic
    "Internal error encountered.", so the moment says it: a resume (a handle was sent) refused before
    setup completed. A 1011 whose reason names the attached socket says it in words.
    """
    if code != LINGER_CLOSE_CODE:
        return False
    if any(words in reason.lower() for words in _LINGER_WORDS):
        return True
    return resuming and during_setup


class LingerLadder:
    """Short waits for resumes refused while the old socket lingers, before the general backoff.

    ``next_delay()`` gives the ladder's steps in order, then None: the caller falls back to
    ``Backoff``. ``reset()`` once a connection is up. The steps use no attempt of the budget: the
    state is known and short-lived, and the ladder is bounded by its own length.
    """

    def __init__(self, steps: tuple[float, ...] = LINGER_LADDER_S) -> None:
        self.steps = steps
        self._used = 0

    @property
    def used(self) -> int:
        return self._used

    def next_delay(self) -> float | None:
        if self._used >= len(self.steps):
            return None
        self._used += 1
        return self.steps[self._used - 1]

    def reset(self) -> None:
        self._used = 0
