"""How many runs may be in flight, and when the next may start, when the service says it is overloaded.

Pure policy, time from an injected clock. Quota and overload are shared by every run of a project,
so one signal slows them all: the number of runs in flight halves (never below one) and nothing new
starts for a jittered, doubling pause. Each run that ends well lets one more run in flight again,
up to ``--jobs``. A run cut short by overload is run again, up to ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

MAX_ATTEMPTS = 4
_OVERLOAD = re.compile(
    r"\b(?:429|1011|1013)\b|resource[_ ]exhausted|quota|overload|unavailable|try again later|rate limit",
    re.IGNORECASE,
)


def is_overload(message: str | None) -> bool:
    """Does an error say the service is over quota or overloaded (worth waiting for), not that we are wrong?"""
    return bool(message) and _OVERLOAD.search(message or "") is not None


class Pacing:
    def __init__(self, jobs: int, clock: Callable[[], float], rng: random.Random, *,
                 base_s: float = 2.0, cap_s: float = 60.0) -> None:
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        self.jobs = jobs
        self.limit = jobs  # runs allowed in flight now
        self.hold_until = 0.0  # no run starts before this (clock time)
        self._clock = clock
        self._rng = rng
        self._base_s = base_s
        self._cap_s = cap_s
        self._streak = 0  # overload signals since the last run that ended well
        self._good = 0  # runs that ended well since the limit last rose

    def wait_s(self, lane: int) -> float | None:
        """Seconds lane ``lane`` (0-based) waits before starting a run; None: the lane is parked for now."""
        if lane >= self.limit:
            return None
        return max(0.0, self.hold_until - self._clock())

    def on_overload(self) -> float:
        """The service pushed back: fewer runs at once, and a pause. Returns the pause in seconds."""
        self._streak += 1
        self._good = 0
        self.limit = max(1, self.limit // 2)
        ceiling = min(self._cap_s, self._base_s * 2 ** (self._streak - 1))
        pause = self._rng.uniform(ceiling / 2, ceiling)
        self.hold_until = max(self.hold_until, self._clock() + pause)
        return pause

    def on_success(self) -> None:
        """A run ended without pushback: the pause length resets, and the limit creeps back up."""
        self._streak = 0
        self._good += 1
        if self.limit < self.jobs and self._good >= self.limit:
            self.limit += 1
            self._good = 0
