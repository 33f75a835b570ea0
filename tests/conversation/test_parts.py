"""The conversation engine's pure parts: the turn tracker, the call ledger, the handoff summary and facts."""

from __future__ import annotations

import asyncio

from voicecli.audio import format as audio
from voicecli.conversation.handoff import SUMMARY_MAX_CHARS, Facts, Said, seed_context, summary
from voicecli.conversation.ledger import CallLedger
from voicecli.conversation.turns import TurnTracker


def test_the_audio_figures_derive_from_the_rates() -> None:
    assert (audio.FRAME_SAMPLES, audio.FRAME_BYTES, audio.FRAMES_PER_SECOND) == (320, 640, 50)
    assert audio.output_seconds(audio.OUTPUT_BYTES_PER_S) == 1.0
    assert audio.input_seconds(audio.FRAME_BYTES) == audio.FRAME_SECONDS
    assert audio.OUTGOING_QUEUE_FRAMES == 1000 and audio.frames_for(0.8) == 40


def test_a_reply_starts_once_however_many_owners_see_it() -> None:
    turns = TurnTracker()
    assert turns.reply_started() is True
    assert turns.reply_started() is False  # the connection saw it first: no second transition
    turns.reply_ended()
    assert not turns.replying


def test_latency_runs_from_the_end_of_speech_to_the_first_audio() -> None:
    turns = TurnTracker()
    turns.user_stopped_speaking(10.0)
    turns.agent_audio(10.4, 0.2)
    turns.agent_audio(10.6, 0.2)
    assert turns.received_audio_s == 0.4
    latency = turns.complete_turn()
    assert latency is not None and abs(latency - 0.4) < 1e-9
    assert turns.epoch == 1 and not turns.replying and turns.first_audio_at is None
    assert turns.complete_turn() is None  # a turn with no speech before it (a greeting) has none
    assert turns.latencies == [latency]


def test_settled_needs_a_later_turn_nothing_busy_and_quiet() -> None:
    turns = TurnTracker()
    turns.server_activity(5.0)
    assert not turns.settled(0, 9.0, quiet_s=0.3, busy=False)  # no turn completed yet
    turns.complete_turn()
    assert turns.settled(0, 9.0, quiet_s=0.3, busy=False)
    assert not turns.settled(0, 9.0, quiet_s=0.3, busy=True)
    assert not turns.settled(0, 5.1, quiet_s=0.3, busy=False)
    turns.reply_started()
    assert turns.next_epoch() == 2  # a turn sent now cuts this reply off: that one completes first


async def test_a_call_id_runs_once_and_a_repeat_gets_the_first_outcome() -> None:
    ledger: CallLedger[str] = CallLedger()
    runs: list[str] = []
    gate = asyncio.Event()

    async def work() -> str:
        runs.append("ran")
        await gate.wait()
        return "result"

    first = asyncio.ensure_future(ledger.run("c1", work))
    await asyncio.sleep(0)
    assert ledger.state("c1") == "running"
    second = asyncio.ensure_future(ledger.run("c1", work))
    await asyncio.sleep(0)
    gate.set()
    assert await first == ("result", False)
    assert await second == ("result", True)
    assert await ledger.run("c1", work) == ("result", True)
    assert runs == ["ran"] and ledger.state("c1") == "done"


async def test_a_cancelled_call_leaves_no_outcome_and_may_run_again() -> None:
    ledger: CallLedger[str] = CallLedger()

    async def forever() -> str:
        await asyncio.Event().wait()
        return "never"

    task = asyncio.ensure_future(ledger.run("c1", forever))
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.wait({task})
    assert ledger.state("c1") == "new"

    async def quick() -> str:
        return "now"

    assert await ledger.run("c1", quick) == ("now", False)


def test_the_summary_keeps_the_newest_lines_within_the_bound() -> None:
    history = [Said("user" if i % 2 else "Sam", f"line {i} " + "x" * 90) for i in range(60)]
    text = summary(history)
    assert len(text) <= SUMMARY_MAX_CHARS
    lines = text.splitlines()
    assert lines[-1].startswith("User: line 59")  # the newest is kept; the oldest went first
    assert "line 0 " not in text
    assert [int(line.split()[2]) for line in lines] == list(range(60 - len(lines), 60))
    long = summary([Said("user", "a" * 5000 + " the end")], limit=100)
    assert len(long) == 100 and long.endswith("the end")
    assert summary([]) == ""


def test_facts_are_the_latest_values_in_tool_results() -> None:
    facts = Facts()
    facts.observe({"output": {"caller_name": "Ana", "client": {"client_id": 7}}})
    facts.observe({"output": [{"client_id": 9}]})
    facts.observe({"error": {"type": "timeout", "caller_name": "not a result"}})
    assert facts.carried(["client_id", "caller_name", "missing"]) == {"client_id": 9, "caller_name": "Ana"}
    seed = seed_context(from_agent="Sam", reason="the caller wants coaching", said="User: hi",
                        facts={"client_id": 9})
    assert "- client_id: 9" in seed and "because the caller wants coaching." in seed and "User: hi" in seed
