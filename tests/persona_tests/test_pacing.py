"""Backing off on quota and overload: fewer runs at once, a doubling pause, then back up; a fake clock."""

from __future__ import annotations

import random

import pytest

from voicecli.persona_tests.pacing import Pacing, is_overload


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_overload_halves_the_runs_at_once_and_pauses_every_lane() -> None:
    clock = Clock()
    pacing = Pacing(4, clock, random.Random(1), base_s=2.0, cap_s=60.0)
    assert [pacing.wait_s(lane) for lane in range(4)] == [0.0, 0.0, 0.0, 0.0]
    pause = pacing.on_overload()
    assert 1.0 <= pause <= 2.0
    assert pacing.limit == 2
    assert pacing.wait_s(0) == pytest.approx(pause)
    assert pacing.wait_s(2) is None and pacing.wait_s(3) is None  # parked
    clock.now += pause
    assert pacing.wait_s(0) == 0.0 and pacing.wait_s(1) == 0.0


def test_pauses_double_up_to_the_cap_and_the_limit_never_drops_below_one() -> None:
    clock = Clock()
    pacing = Pacing(2, clock, random.Random(2), base_s=2.0, cap_s=10.0)
    pauses = [pacing.on_overload() for _ in range(6)]
    ceilings = [2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert all(ceiling / 2 <= pause <= ceiling for pause, ceiling in zip(pauses, ceilings, strict=True))
    assert pacing.limit == 1


def test_runs_that_end_well_bring_the_limit_back_one_at_a_time() -> None:
    clock = Clock()
    pacing = Pacing(4, clock, random.Random(3))
    pacing.on_overload()
    pacing.on_overload()
    assert pacing.limit == 1
    pacing.on_success()
    assert pacing.limit == 2
    pacing.on_success()
    assert pacing.limit == 2  # two good runs at a limit of two before the next step
    pacing.on_success()
    assert pacing.limit == 3
    for _ in range(10):
        pacing.on_success()
    assert pacing.limit == 4
    first = pacing.on_overload()
    assert first <= 2.0  # a good run reset the doubling


def test_jobs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="jobs"):
        Pacing(0, Clock(), random.Random())


@pytest.mark.parametrize(("message", "overload"), [
    ("Lost the Live connection and could not get it back after 6 attempts (last: 429 Resource exhausted).", True),
    ("The Live service refused the session (1011): RESOURCE_EXHAUSTED: quota exceeded", True),
    ("closed (1013): the service is overloaded, try again later", True),
    ("HTTP 503 Service Unavailable", True),
    ("The Live service refused the session (1008): scenario laura: steps[3]: ... is empty", False),
    ("The Live service refused the credentials: API key not valid", False),
    ("The conversation did not finish within 60 s.", False),
    (None, False),
])
def test_what_counts_as_overload(message: str | None, overload: bool) -> None:
    assert is_overload(message) is overload
