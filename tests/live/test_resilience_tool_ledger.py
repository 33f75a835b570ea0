from __future__ import annotations

from voicecli.events import ToolReply
from voicecli.live.tool_ledger import CallDecision, CallState, ToolLedger


def reply(call_id: str, output: str = "18C") -> ToolReply:
    return ToolReply(call_id, "get_weather", {"output": output})


def test_a_call_runs_once_and_a_reissue_is_answered_from_the_store() -> None:
    ledger = ToolLedger()
    assert ledger.on_call("c1", "get_weather") is CallDecision.RUN
    assert ledger.on_call("c1", "get_weather") is CallDecision.WAIT
    assert ledger.running() == ["c1"]
    assert ledger.finish(reply("c1"))
    ledger.mark_delivered(["c1"])
    assert ledger.state("c1") is CallState.DELIVERED
    # After a resume the service asks again: answer, do not execute.
    assert ledger.on_call("c1", "get_weather") is CallDecision.ANSWER_STORED
    assert ledger.stored_reply("c1") == reply("c1")
    assert ledger.running() == []


def test_result_finished_while_disconnected_waits_for_delivery() -> None:
    ledger = ToolLedger()
    ledger.on_call("c1", "get_weather")
    ledger.on_call("c2", "get_weather")
    assert ledger.finish(reply("c2", "b"))
    assert ledger.finish(reply("c1", "a"))
    # Oldest call first, whatever order they finished in.
    assert ledger.undelivered() == [reply("c1", "a"), reply("c2", "b")]
    ledger.mark_delivered(["c1", "c2"])
    assert ledger.undelivered() == []


def test_cancelled_calls_are_neither_delivered_nor_run() -> None:
    ledger = ToolLedger()
    ledger.on_call("c1", "slow")
    ledger.on_call("c2", "fast")
    ledger.finish(reply("c2"))
    assert ledger.cancel(["c1", "c2", "c3"]) == ["c1"]
    assert not ledger.finish(reply("c1"))
    assert ledger.undelivered() == []
    assert ledger.on_call("c1", "slow") is CallDecision.IGNORE
    # A cancellation that arrives before the call itself still prevents running it.
    assert ledger.on_call("c3", "late") is CallDecision.IGNORE


def test_finish_for_an_unknown_or_settled_call_is_refused() -> None:
    ledger = ToolLedger()
    assert not ledger.finish(reply("nope"))
    ledger.on_call("c1", "get_weather")
    ledger.finish(reply("c1", "first"))
    assert not ledger.finish(reply("c1", "second"))
    assert ledger.stored_reply("c1") == reply("c1", "first")


def test_settled_calls_are_trimmed_oldest_first() -> None:
    ledger = ToolLedger(max_settled=2)
    for n in range(4):
        ledger.on_call(f"c{n}", "f")
        ledger.finish(reply(f"c{n}"))
        ledger.mark_delivered([f"c{n}"])
    assert ledger.state("c0") is None
    assert ledger.state("c1") is None
    assert ledger.state("c3") is CallState.DELIVERED
