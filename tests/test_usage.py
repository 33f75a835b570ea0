"""The token accounting shared by the summary, the JSON events, the status line and the log."""

from __future__ import annotations

from voicecli import events as ev
from voicecli.usage import Tokens, UsageMeter


def test_turns_add_up_and_prompt_plus_response_is_the_total() -> None:
    meter = UsageMeter()
    meter.report(1, ev.Usage(53, 109, 162))
    meter.report(2, ev.Usage(394, 84, 478))  # the prompt covers the whole conversation so far
    tally = meter.report(3, ev.Usage(544, 101, 645))
    assert tally.turn_tokens == Tokens(544, 101, 645)
    assert tally.session == Tokens(53 + 394 + 544, 109 + 84 + 101, 162 + 478 + 645)
    assert tally.session.prompt + tally.session.response == tally.session.total


def test_reports_within_a_turn_are_running_figures_for_that_turn() -> None:
    meter = UsageMeter()
    meter.report(1, ev.Usage(100, 10, 110))
    meter.report(2, ev.Usage(200, 5, 205))
    tally = meter.report(2, ev.Usage(200, 40, 240))  # the same turn, further on: it replaces the first
    assert tally.turn_tokens == Tokens(200, 40, 240)
    assert meter.session == Tokens(300, 50, 350)


def test_a_report_without_a_total_counts_prompt_and_response() -> None:
    assert Tokens.of(ev.Usage(30, 12, 0)) == Tokens(30, 12, 42)
    assert Tokens.of(ev.Usage(30, 12, 50)).as_dict() == {"prompt": 30, "response": 12, "total": 50}
