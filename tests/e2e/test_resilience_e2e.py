"""The conversation survives the network: faults injected into a real SDK session against the emulator.

Each test runs Laura's scripted conversation and injects one kind of fault at a chosen moment
(mid-utterance, during agent speech, while a blocking tool call is pending, during a replay).
The emulator's frame record then proves what the issue asks: on Vertex AI (transparent
resumption) every client frame was consumed exactly once and in order; on the Developer API
nothing was lost and only the documented bounded replay was received twice; no tool ran twice;
every user turn was answered in script order; the agent never greeted twice.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tests.e2e.resilience_harness import (
    LAURA_REPLIES,
    Run,
    consumed_transparent,
    converse,
    greeting_count,
    label,
    laura_rows,
    replay_report,
)
from voicecli import events as ev
from voicecli.emulator import Faults
from voicecli.errors import BackendError
from voicecli.live.backoff import Backoff

BACKENDS = ["developer", "vertex"]

def quick_backoff(budget: int = 6) -> Backoff:
    """The real policy with short delays, so a test's retries take milliseconds."""
    return Backoff(time.monotonic, random.Random(7), base_s=0.02, cap_s=0.1, budget=budget)


def audio_in_current_utterance(run: Run) -> int:
    count = 0
    for message in reversed(run.sent):
        if not isinstance(message, ev.SendAudio):
            break
        count += 1
    return count


def user_turns_sent(run: Run) -> int:
    return sum(1 for message in run.sent if isinstance(message, ev.SendAudioStreamEnd))


def assert_survived(run: Run, backend: str) -> None:
    """Everything the issue promises after a fault, from the client's log and the emulator's record."""
    assert [turn[: len(reply)] for turn, reply in zip(run.agent_turns, LAURA_REPLIES, strict=False)] == list(
        LAURA_REPLIES
    ), run.agent_turns
    assert len(run.agent_turns) == len(LAURA_REPLIES)  # every user turn answered once, none twice
    assert greeting_count(run) == 1
    assert sum(turn.startswith("Hi, I'm Laura") for turn in run.agent_turns) == 1
    assert laura_rows() == {"clients": 1, "action_items": 2, "appointments": 1}
    # Five distinct calls; a call the service re-issues after a resume keeps its id and is
    # answered from the stored result (the database rows above prove no tool ran twice).
    call_ids = [call.call_id for call in run.tool_calls]
    assert len(set(call_ids)) == 5
    replies: dict[str, list[object]] = {}
    for record in run.records:
        frame = record.get("frame") or {}
        if record["dir"] == "in" and "tool_response" in frame:
            for reply in frame["tool_response"]["function_responses"]:
                replies.setdefault(reply["id"], []).append(reply["response"])
    assert all(len({str(r) for r in answers}) == 1 for answers in replies.values()), replies
    report = replay_report(run)
    assert report.lost == 0
    if backend == "vertex":
        assert consumed_transparent(run.records) == [label(message) for message in run.sent]


def resumed(run: Run) -> int:
    return sum(1 for state in run.states if state.state == "connected" and state.detail == "resumed")


# ---- GoAway ------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_goaway_mid_utterance_resumes_and_replays_the_utterance(tmp_path: Path, backend: str) -> None:
    fired: list[bool] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "sent" and not fired and user_turns_sent(run) == 1 and audio_in_current_utterance(run) == 40:
            fired.append(True)
            run.emu.faults.go_away_now(5.0)

    run = await converse(tmp_path, backend=backend, trigger=trigger)
    assert fired and resumed(run) == 1
    assert_survived(run, backend)
    assert not [notice for notice in run.notices if notice.level == "warning"]  # planned, not a failure


@pytest.mark.parametrize("backend", BACKENDS)
async def test_goaway_during_agent_speech_waits_for_the_turn_to_end(tmp_path: Path, backend: str) -> None:
    state = {"fired": False, "turns_at_goaway": -1}

    def trigger(run: Run, what: str, item: object) -> None:
        if (what == "event" and isinstance(item, ev.AgentAudio) and not state["fired"]
                and len(run.agent_turns) == 2):
            state["fired"], state["turns_at_goaway"] = True, len(run.agent_turns)
            run.emu.faults.go_away_now(20.0)

    run = await converse(tmp_path, backend=backend, trigger=trigger)
    assert state["fired"] and resumed(run) == 1
    assert_survived(run, backend)
    # The old connection finished the reply it was speaking before the client left it.
    first = [r for r in run.records if r["conn"] == 1 and r["dir"] == "out"]
    turn_ends = [r for r in first if "turnComplete" in (r.get("frame") or {}).get("serverContent", {})]
    assert len(turn_ends) == 3


@pytest.mark.parametrize("backend", BACKENDS)
async def test_goaway_with_pending_blocking_call_leaves_after_the_tool_reply(
    tmp_path: Path, backend: str
) -> None:
    pending: list[str] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "event" and isinstance(item, ev.ToolCallsRequested) and not pending:
            pending.extend(call.call_id for call in item.calls)
            run.emu.faults.go_away_now(20.0)

    run = await converse(tmp_path, backend=backend, trigger=trigger)
    assert pending and resumed(run) == 1
    assert_survived(run, backend)
    # The tool reply went out on the connection that asked for it, before the client left.
    replies_on_first = [r for r in run.records if r["conn"] == 1 and r["dir"] == "in"
                        and "tool_response" in (r.get("frame") or {})]
    assert [r["frame"]["tool_response"]["function_responses"][0]["id"] for r in replies_on_first] == pending


@pytest.mark.parametrize("backend", BACKENDS)
async def test_deadline_close_after_goaway_is_expected_not_a_failure(tmp_path: Path, backend: str) -> None:
    fired: list[bool] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "event" and isinstance(item, ev.AgentAudio) and not fired and len(run.agent_turns) == 3:
            fired.append(True)
            run.emu.faults.go_away_now(0.5)
            run.emu.faults.close_now(1011, "Deadline expired before operation could complete.")

    run = await converse(tmp_path, backend=backend, trigger=trigger, backoff=quick_backoff())
    assert fired and resumed(run) == 1
    assert not [notice for notice in run.notices if notice.level == "warning"]
    assert run.connection.backoff.attempt == 0  # no retry attempt spent on an expected close


# ---- Drops (1006) --------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_drop_mid_utterance_replays_it(tmp_path: Path, backend: str) -> None:
    fired: list[bool] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "sent" and not fired and user_turns_sent(run) == 2 and audio_in_current_utterance(run) == 60:
            fired.append(True)
            run.emu.faults.drop_now()

    run = await converse(tmp_path, backend=backend, trigger=trigger, backoff=quick_backoff())
    assert fired and resumed(run) == 1
    assert_survived(run, backend)
    report = replay_report(run)
    assert report.replayed >= 60  # the open utterance went out again whole
    assert any("reconnecting (1/6)" in notice.text for notice in run.notices)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_drop_mid_reply_resumes(tmp_path: Path, backend: str) -> None:
    fired: list[bool] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "event" and isinstance(item, ev.AgentAudio) and not fired and len(run.agent_turns) == 2:
            fired.append(True)
            run.emu.faults.drop_now()

    run = await converse(tmp_path, backend=backend, trigger=trigger, backoff=quick_backoff())
    assert fired and resumed(run) >= 1
    assert_survived(run, backend)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_drop_with_pending_call_runs_the_tool_once(tmp_path: Path, backend: str) -> None:
    fired: list[bool] = []
    fired_on: list[str] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "event" and isinstance(item, ev.ToolCallsRequested) and not fired:
            fired.append(True)
            fired_on.append(item.calls[0].call_id)
            run.emu.faults.drop_now()

    run = await converse(tmp_path, backend=backend, trigger=trigger, backoff=quick_backoff())
    assert fired and resumed(run) >= 1
    assert_survived(run, backend)
    reissued = [call for call in run.tool_calls if call.call_id == fired_on[0]]
    assert len(reissued) == 2, "the resumed session asked for the pending call again, under the same id"


class _DropDuringReplay(Faults):
    """Drops the first resumed connection after a few frames of its replay, then behaves."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.used = False

    def __getattribute__(self, name: str) -> object:
        if name == "drop_after_client_frames" and object.__getattribute__(self, "armed"):
            self.armed, self.used = False, True
            return 5
        return object.__getattribute__(self, name)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_drop_during_the_replay_itself(tmp_path: Path, backend: str) -> None:
    faults = _DropDuringReplay()

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "sent" and not faults.used and not faults.armed and user_turns_sent(run) == 3 \
                and audio_in_current_utterance(run) == 50:
            faults.armed = True  # read by the next connection's read loop
            run.emu.faults.drop_now()

    run = await converse(tmp_path, backend=backend, trigger=trigger, backoff=quick_backoff(), faults=faults)
    assert faults.used and resumed(run) == 2
    drops = [r for r in run.records if r["dir"] == "drop"]
    assert len(drops) == 2
    assert_survived(run, backend)


# ---- Stale handle and exhausted budget ------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_stale_handle_starts_afresh_with_a_summary_and_no_greeting(tmp_path: Path, backend: str) -> None:
    fired: list[bool] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "event" and isinstance(item, ev.ServerTurnComplete) and not fired \
                and len(run.agent_turns) == 3:
            fired.append(True)
            run.emu.faults.drop_now()

    # Every handle the emulator issues is already expired when the client comes back with it. Recognition
    # on: the summary holds what the user was heard saying.
    run = await converse(tmp_path, backend=backend, trigger=trigger, backoff=quick_backoff(),
                         emulator_options={"handle_ttl_s": 1e-6, "recognition": True})
    assert fired
    assert any("no longer knows this session" in notice.text for notice in run.notices)
    closes = [r for r in run.records if r["dir"] == "close"]
    assert [c["code"] for c in closes] == [1008]
    fresh = run.setups[-1]
    assert fresh["handle"] is None and fresh["context"] is not None
    assert "Do not greet the user again" in fresh["context"]
    assert "User: My name is" in fresh["context"] and "Lopez" in fresh["context"]  # "Ana", or "Anna" as heard
    last_setup = [r for r in run.records if r["dir"] == "in" and r.get("index") == 0][-1]
    assert "Do not greet the user again" in str(last_setup["frame"])
    assert greeting_count(run) == 1
    assert sum(turn.startswith("Hi, I'm Laura") for turn in run.agent_turns) == 1
    assert len(run.agent_turns) == len(LAURA_REPLIES)  # every user turn answered


@pytest.mark.parametrize("backend", BACKENDS)
async def test_repeated_drops_exhaust_the_budget_with_one_clear_error(tmp_path: Path, backend: str) -> None:
    faults = Faults()
    faults.drop_after(1)  # every connection dies at its first client frame
    with pytest.raises(BackendError) as raised:
        await converse(tmp_path, backend=backend, backoff=quick_backoff(budget=3), faults=faults)
    assert raised.value.exit_code == 6
    assert "after 3 attempts" in raised.value.message
    assert raised.value.hint


# ---- Handles that name the session (gemini-3.8-live), and a lingering old socket -----------------


@pytest.mark.parametrize("backend", ["developer"])
async def test_drop_mid_reply_when_the_handle_names_the_session(tmp_path: Path, backend: str) -> None:
    """One update per connection: the input is not replayed (the session has it), the cut reply is
    marked as cut, and the conversation goes on with every later turn answered."""
    fired: list[bool] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "event" and isinstance(item, ev.AgentAudio) and not fired and len(run.agent_turns) == 2:
            fired.append(True)
            run.emu.faults.drop_now()

    run = await converse(tmp_path, backend=backend, trigger=trigger, backoff=quick_backoff(),
                         emulator_options={"resumption_updates": "once"})
    assert fired and resumed(run) == 1
    assert any("cut short" in notice.text for notice in run.notices)
    assert len(run.agent_turns) == len(LAURA_REPLIES)
    assert LAURA_REPLIES[2].startswith(run.agent_turns[2][:10])  # the cut reply, as far as it got
    for turn, reply in list(zip(run.agent_turns, LAURA_REPLIES, strict=True))[3:]:
        assert turn.startswith(reply)
    assert laura_rows() == {"clients": 1, "action_items": 2, "appointments": 1}
    report = replay_report(run)
    assert report.lost == 0


@pytest.mark.parametrize("backend", BACKENDS)
async def test_resume_refused_while_the_old_socket_lingers_is_retried(tmp_path: Path, backend: str) -> None:
    """Right after a drop the service still holds the old socket and refuses the resume with 1011;
    the client backs off, tries again, and resumes."""
    faults = Faults()
    faults.linger_refusals = 1  # however long the first resume takes under load, it is refused
    fired: list[bool] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "sent" and not fired and user_turns_sent(run) == 2 and audio_in_current_utterance(run) == 30:
            fired.append(True)
            run.emu.faults.drop_now()

    backoff = Backoff(time.monotonic, random.Random(7), base_s=0.2, cap_s=1.0, budget=6)
    run = await converse(tmp_path, backend=backend, trigger=trigger, backoff=backoff, faults=faults)
    refused = [r for r in run.records if r["dir"] == "close" and r.get("code") == 1011]
    assert fired and refused, "the first resume came while the old socket lingered"
    assert resumed(run) == 1
    assert_survived(run, backend)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_malformed_server_frame_is_survived_with_one_clear_notice(tmp_path: Path, backend: str) -> None:
    fired: list[bool] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "event" and isinstance(item, ev.ServerTurnComplete) and not fired and len(run.agent_turns) == 2:
            fired.append(True)
            run.emu.faults.malformed_now()

    run = await converse(tmp_path, backend=backend, trigger=trigger, backoff=quick_backoff())
    warnings = [notice.text for notice in run.notices if notice.level == "warning"]
    assert fired and resumed(run) == 1
    assert len(warnings) == 1 and "Failed to parse response" in warnings[0] and "None" not in warnings[0]
    assert_survived(run, backend)
