"""Fault injection: the control API tests use, also fed from CLI flags and scenario steps.

Settings here are read by every connection as frames flow; the ``*_now`` actions act on the
connections open at that moment.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class FaultTarget(Protocol):
    """What a live connection offers to the fault controller."""

    def drop(self) -> None: ...
    def close_with(self, code: int, reason: str) -> None: ...
    def send_go_away(self, time_left_s: float) -> None: ...
    def send_malformed(self) -> None: ...


@dataclass
class Faults:
    drop_after_client_frames: int | None = None  # per connection, counted after setup
    drop_after_s: float | None = None  # seconds after setupComplete
    close_after_s: tuple[float, int, str] | None = None
    go_away_after_s: tuple[float, float] | None = None  # (when, timeLeft)
    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    pong_delay_s: float = 0.0
    refuse_status: int | None = None
    refuse_times: int = 0  # how many upgrades to refuse; -1 = all
    # After a drop the real service takes a while to notice, and refuses a resume meanwhile (1011).
    linger_after_drop_s: float = 0.0
    # The same, counted instead of timed: the old socket stays until this many resumes were refused.
    linger_refusals: int = 0
    seed: int = 0
    _targets: list[FaultTarget] = field(default_factory=list, repr=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)

    # ---- arming (applies to connections as they run) ----
    def drop_after(self, client_frames: int) -> None:
        """Cut TCP, with no close frame, once a connection has received this many client frames."""
        self.drop_after_client_frames = client_frames

    def delay(self, ms: float, jitter_ms: float = 0.0) -> None:
        """Hold every server frame ``ms`` (plus up to ``jitter_ms``) before sending it."""
        self.delay_ms, self.jitter_ms = ms, jitter_ms

    def slow_pongs(self, seconds: float) -> None:
        """Process incoming bytes (and so answer pings) ``seconds`` late."""
        self.pong_delay_s = seconds

    def refuse(self, status: int, times: int = 1) -> None:
        """Refuse the next ``times`` upgrades (-1: all) with this HTTP status (401, 429, ...)."""
        self.refuse_status, self.refuse_times = status, times

    def clear(self) -> None:
        self.drop_after_client_frames = self.drop_after_s = None
        self.close_after_s = self.go_away_after_s = None
        self.delay_ms = self.jitter_ms = self.pong_delay_s = 0.0
        self.refuse_status, self.refuse_times = None, 0
        self.linger_after_drop_s = 0.0
        self.linger_refusals = 0

    # ---- immediate actions on open connections ----
    def drop_now(self) -> None:
        self._each(lambda target: target.drop())

    def close_now(self, code: int, reason: str = "") -> None:
        self._each(lambda target: target.close_with(code, reason))

    def go_away_now(self, time_left_s: float) -> None:
        self._each(lambda target: target.send_go_away(time_left_s))

    def malformed_now(self) -> None:
        self._each(lambda target: target.send_malformed())

    # ---- used by the server ----
    def take_refusal(self) -> int | None:
        if self.refuse_status is None or self.refuse_times == 0:
            return None
        if self.refuse_times > 0:
            self.refuse_times -= 1
        return self.refuse_status

    def frame_delay_s(self) -> float:
        jitter = self._rng.uniform(0.0, self.jitter_ms) if self.jitter_ms else 0.0
        return (self.delay_ms + jitter) / 1000.0

    def attach(self, target: FaultTarget) -> None:
        self._targets.append(target)

    def detach(self, target: FaultTarget) -> None:
        if target in self._targets:
            self._targets.remove(target)

    def _each(self, action: Callable[[FaultTarget], Any]) -> None:
        for target in list(self._targets):
            action(target)
