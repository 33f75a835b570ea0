"""When to leave a connection the service announced it will end (goAway).

The plan reconnects at the first safe point (between turns, no blocking tool call pending)
and, if none comes, forcibly ``margin_s`` before the deadline so the resume happens on our
terms rather than on the service's 1011. The connection's goAway watch, a task of its own (the
receive loop may be busy, so it cannot be the one to notice the deadline), sleeps until the
forced point with ``seconds_until_forced`` and asks for a safe point every 50 ms meanwhile
(see ``LiveConnection._goaway_watch`` and docs/resilience.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)s\s*$")

DEFAULT_TIME_LEFT_S = 10.0
"""Assumed when a goAway carries no readable ``timeLeft``: short, so we leave promptly."""


def parse_time_left(value: str | float | None) -> float | None:
    """Seconds in a proto Duration string ("50s", "1.500s") or a number; None if unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    match = _DURATION.match(value)
    return float(match.group(1)) if match else None


class GoAwayPlan:
    """The reconnect schedule after one goAway."""

    def __init__(
        self,
        time_left: str | float | None,
        clock: Callable[[], float],
        *,
        margin_s: float = 3.0,
    ) -> None:
        seconds = parse_time_left(time_left)
        # A goAway announcing zero (or an unreadable) time left still deserves a graceful exit.
        self.time_left_s = seconds if seconds else DEFAULT_TIME_LEFT_S
        self._clock = clock
        self.received_at = clock()
        self.deadline = self.received_at + self.time_left_s
        # When the announced lead is shorter than the margin, leave at once.
        self.forced_at = max(self.received_at, self.deadline - margin_s)

    def seconds_until_forced(self) -> float:
        """Arm a timer for this long; when it fires, reconnect even if not at a safe point."""
        return max(0.0, self.forced_at - self._clock())

    def seconds_left(self) -> float:
        """Time until the service ends the connection."""
        return max(0.0, self.deadline - self._clock())

    def should_reconnect_now(self, at_safe_point: bool) -> bool:
        """True at a safe point, or once the forced point is reached whatever is going on."""
        return at_safe_point or self._clock() >= self.forced_at
