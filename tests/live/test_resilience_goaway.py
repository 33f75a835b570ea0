from __future__ import annotations

import pytest

from voicecli.live.goaway import DEFAULT_TIME_LEFT_S, GoAwayPlan, parse_time_left


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("text", "seconds"), [
    ("50s", 50.0), ("1.500s", 1.5), (" 7s ", 7.0), (".5s", 0.5), (12, 12.0), (2.5, 2.5),
    ("50", None), ("abc", None), ("-3s", None), ("", None), (None, None), (-1.0, None),
])
def test_parse_time_left(text: str | float | None, seconds: float | None) -> None:
    assert parse_time_left(text) == seconds


def test_deadline_and_forced_point_from_the_clock() -> None:
    clock = FakeClock()
    plan = GoAwayPlan("50s", clock, margin_s=3.0)
    assert plan.deadline == 150.0
    assert plan.seconds_until_forced() == 47.0
    clock.now = 120.0
    assert plan.seconds_left() == 30.0
    assert plan.seconds_until_forced() == 27.0


def test_reconnects_at_a_safe_point_or_when_forced() -> None:
    clock = FakeClock()
    plan = GoAwayPlan("10s", clock, margin_s=3.0)
    assert plan.should_reconnect_now(at_safe_point=True)
    assert not plan.should_reconnect_now(at_safe_point=False)
    clock.now = 106.9
    assert not plan.should_reconnect_now(at_safe_point=False)
    clock.now = 107.0
    assert plan.should_reconnect_now(at_safe_point=False)
    assert plan.seconds_until_forced() == 0.0


def test_a_lead_shorter_than_the_margin_forces_at_once() -> None:
    clock = FakeClock()
    plan = GoAwayPlan("1.500s", clock, margin_s=3.0)
    assert plan.seconds_until_forced() == 0.0
    assert plan.should_reconnect_now(at_safe_point=False)
    assert plan.seconds_left() == 1.5


@pytest.mark.parametrize("time_left", [None, "garbage", 0.0])
def test_missing_time_left_assumes_a_short_default(time_left: str | float | None) -> None:
    clock = FakeClock()
    plan = GoAwayPlan(time_left, clock, margin_s=3.0)
    assert plan.deadline == 100.0 + DEFAULT_TIME_LEFT_S
    assert not plan.should_reconnect_now(at_safe_point=False)
