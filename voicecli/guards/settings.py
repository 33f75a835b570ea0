"""Which guards a conversation runs, and how patient the stall guard is (``talk`` flags set these).

``stall_after_s`` 0 turns the stall guard off (``--stall-after 0``); ``heard_note`` and ``drift`` turn
the other two off (``--no-heard-note``, ``--no-drift-guard``). ``stall_step_wait_s`` replaces the wait
after each recovery step (6, 8 and 10 s by default, docs/guards.md): a test's short ladder.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicecli.guards.stall import STALL_AFTER_S, StallSettings, StallStep


@dataclass(frozen=True)
class GuardSettings:
    stall_after_s: float = STALL_AFTER_S
    heard_note: bool = True
    drift: bool = True
    stall_step_wait_s: float | None = None

    def __post_init__(self) -> None:
        if self.stall_after_s < 0 or (self.stall_step_wait_s is not None and self.stall_step_wait_s < 0):
            raise ValueError("stall waits cannot be negative")

    def stall(self, *, can_resume: bool = True) -> StallSettings:
        """The stall guard's settings; ``can_resume`` False leaves the resume step out."""
        steps = tuple(step for step in (StallStep.NUDGE, StallStep.RESUME, StallStep.FRESH_SESSION)
                      if can_resume or step is not StallStep.RESUME)
        wait = self.stall_step_wait_s
        if wait is None:
            return StallSettings(after_s=self.stall_after_s, steps=steps)
        return StallSettings(after_s=self.stall_after_s, nudge_wait_s=wait, resume_wait_s=wait, fresh_wait_s=wait,
                             steps=steps)
