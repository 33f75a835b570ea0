from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicecli.live.backoff import Backoff, Jitter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(jitter: Jitter = Jitter.EQUAL, seed: int = 7, **kwargs: Any) -> tuple[Backoff, FakeClock]:
    clock = FakeClock()
    return Backoff(clock, random.Random(seed), jitter=jitter, **kwargs), clock


def test_first_retry_is_immediate_then_grows_within_equal_jitter_bounds() -> None:
    backoff, _ = make(base_s=1.0, cap_s=8.0, budget=6)
    delays = [backoff.next_delay() for _ in range(6)]
    assert delays[0] == 0.0
    for attempt, delay in enumerate(delays[1:], start=2):
        ceiling = min(8.0, 1.0 * 2 ** (attempt - 2))
        assert delay is not None
        assert ceiling / 2 <= delay <= ceiling


def test_full_jitter_stays_under_the_capped_ceiling() -> None:
    backoff, _ = make(Jitter.FULL, base_s=1.0, cap_s=4.0, budget=8)
    delays = [backoff.next_delay() for _ in range(8)]
    assert delays[0] == 0.0
    assert all(d is not None and 0.0 <= d <= 4.0 for d in delays)
    # Once capped, the ceiling no longer grows.
    assert max(d for d in delays if d is not None) <= 4.0


def test_same_seed_same_delays() -> None:
    first, _ = make(seed=3)
    second, _ = make(seed=3)
    assert [first.next_delay() for _ in range(6)] == [second.next_delay() for _ in range(6)]


def test_budget_is_spent_then_none_and_status_line_counts() -> None:
    backoff, _ = make(budget=3)
    assert backoff.status_text() == "reconnecting (0/3)"
    assert backoff.next_delay() is not None
    assert backoff.status_text() == "reconnecting (1/3)"
    backoff.next_delay()
    backoff.next_delay()
    assert backoff.status_text() == "reconnecting (3/3)"
    assert backoff.exhausted
    assert backoff.next_delay() is None
    assert backoff.attempt == 3


def test_budget_refills_after_a_stable_connection() -> None:
    backoff, clock = make(budget=3, stable_after_s=30.0)
    backoff.next_delay()
    backoff.next_delay()
    backoff.connected()
    clock.now += 29.9
    assert not backoff.stable_check()
    assert backoff.attempt == 2
    clock.now += 0.1
    assert backoff.stable_check()
    assert backoff.attempt == 0
    # The next drop starts over with an immediate retry.
    assert backoff.next_delay() == 0.0


def test_a_connection_that_drops_quickly_does_not_refill_the_budget() -> None:
    backoff, clock = make(budget=2, stable_after_s=30.0)
    for _ in range(2):
        assert backoff.next_delay() is not None
        backoff.connected()
        clock.now += 5.0
    assert backoff.next_delay() is None


def test_drop_after_a_long_connection_checks_stability_first() -> None:
    backoff, clock = make(budget=2, stable_after_s=30.0)
    backoff.next_delay()
    backoff.next_delay()
    backoff.connected()
    clock.now += 600.0
    assert backoff.next_delay() == 0.0
    assert backoff.attempt == 1


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="budget"):
        make(budget=0)
    with pytest.raises(ValueError, match="base_s"):
        make(base_s=5.0, cap_s=1.0)


@given(seed=st.integers(0, 2**32 - 1), jitter=st.sampled_from(list(Jitter)))
def test_delays_never_exceed_the_cap(seed: int, jitter: Jitter) -> None:
    backoff, _ = make(jitter, seed=seed, base_s=0.5, cap_s=10.0, budget=12)
    delays = [backoff.next_delay() for _ in range(12)]
    assert all(d is not None and 0.0 <= d <= 10.0 for d in delays)
    assert backoff.next_delay() is None
