"""Fault injection: the control API tests use, also fed from CLI flags and scenario steps.

Settings here are read by every connection as frames flow; the ``*_now`` actions act on the
connections open at that moment.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

STALL_VARIANTS = ("after_user_turn", "after_tool_response", "empty_turn_complete")
DRIFT_LANGUAGES = ("es",)


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
    # Stall: the next ``stall_turns`` turns of the variant's kind get no answer (see ``stall``).
    stall_turns: int = 0
    stall_variant: str = "after_user_turn"
    stalls: int = 0  # turns held back so far (a count for tests and the record)
    # Drift: the next ``drift_turns`` replies are spoken and transcribed in ``drift_language``.
    drift_turns: int = 0
    drift_language: str = "es"
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

    def stall(self, turns: int = 1, variant: str = "after_user_turn") -> None:
        """The next ``turns`` turns get nothing back: no error, the socket open (docs/emulator.md, Stall).

        ``after_user_turn``: nothing after a user turn; ``after_tool_response``: nothing after a
        function response the model would go on from; ``empty_turn_complete``: a user turn gets a
        bare ``turnComplete`` and nothing else. Every user turn counts, a client's nudge included.
        """
        if variant not in STALL_VARIANTS:
            raise ValueError(f"unknown stall variant {variant!r} (expected one of {', '.join(STALL_VARIANTS)})")
        if turns < 0:
            raise ValueError("stall turns must not be negative")
        self.stall_turns, self.stall_variant = turns, variant

    def drift(self, turns: int = 1, language: str = "es") -> None:
        """The next ``turns`` replies are spoken and transcribed in ``language`` (Spanish: ``es``).

        A text turn that repeats the language directive ("Please respond in English") ends it.
        """
        if language not in DRIFT_LANGUAGES:
            raise ValueError(f"unknown drift language {language!r} (expected one of {', '.join(DRIFT_LANGUAGES)})")
        if turns < 0:
            raise ValueError("drift turns must not be negative")
        self.drift_turns, self.drift_language = turns, language

    def take_stall(self, stage: str) -> str | None:
        """Whether this moment (``user_turn`` or ``tool_response``) stalls: the variant, counted, or None."""
        if self.stall_turns <= 0:
            return None
        if stage != ("tool_response" if self.stall_variant == "after_tool_response" else "user_turn"):
            return None
        self.stall_turns -= 1
        self.stalls += 1
        return self.stall_variant

    def take_drift(self) -> str | None:
        """The language of the reply about to start, counted, or None to reply as usual."""
        if self.drift_turns <= 0:
            return None
        self.drift_turns -= 1
        return self.drift_language

    def end_drift(self) -> None:
        self.drift_turns = 0

    def clear(self) -> None:
        self.drop_after_client_frames = self.drop_after_s = None
        self.close_after_s = self.go_away_after_s = None
        self.delay_ms = self.jitter_ms = self.pong_delay_s = 0.0
        self.refuse_status, self.refuse_times = None, 0
        self.linger_after_drop_s = 0.0
        self.linger_refusals = 0
        self.stall_turns = self.drift_turns = 0

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
