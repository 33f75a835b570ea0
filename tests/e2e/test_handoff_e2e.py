"""A front desk hands the caller to Laura, end to end: the real SDK, the emulator's generic brain, both backends.

The front desk (Sam) notes the caller's name and transfers career coaching to Laura with the name as a
carried fact. The emulator's frame record proves what the client did: the first session answered the
transfer and closed, a second session opened with Laura's own instruction holding the fact and the
summary, Laura's first turn continued instead of greeting. With a drop during the handoff nothing is
lost and no tool runs twice.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.resilience_harness import Run, converse, replay_report
from voicecli import events as ev
from voicecli.agent import ScriptTurn
from voicecli.live.backoff import Backoff
from voicecli.persona import load_persona
from voicecli.persona.instructions import greeting_prompt
from voicecli.recorder import start_recording
from voicecli.store import SessionLog
from voicecli.store.records import EventEntry, TranscriptEntry

REPO = Path(__file__).resolve().parents[2]
BACKENDS = ["developer", "vertex"]
SCRIPT = [ScriptTurn(label="name", text="Hi, my name is Ana."),
          ScriptTurn(label="coaching", text="I would like some career coaching, please."),
          ScriptTurn(label="goal", text="I want to move from teaching into product management.")]


def setups(run: Run) -> dict[int, dict[str, Any]]:
    """The setup frame of each connection, by connection id."""
    return {r["conn"]: r["frame"] for r in run.records if r["dir"] == "in" and r.get("index") == 0}


def instruction(setup: dict[str, Any]) -> str:
    body = setup.get("setup", setup)
    parts = (body.get("systemInstruction") or body.get("system_instruction") or {}).get("parts", [])
    return " ".join(part.get("text", "") for part in parts)


def texts_on(run: Run, conn: int) -> list[str]:
    out = []
    for r in run.records:
        content = (r.get("frame") or {}).get("client_content") if r["dir"] == "in" and r["conn"] == conn else None
        if content:
            out.extend(part.get("text", "") for turn in content.get("turns", []) for part in turn.get("parts", []))
    return out


def quick_backoff() -> Backoff:
    return Backoff(time.monotonic, random.Random(3), base_s=0.02, cap_s=0.1, budget=8)


async def handoff_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, trigger: Any = None,
                      log: SessionLog | None = None) -> tuple[Run, Path]:
    notes = tmp_path / "notes.jsonl"
    monkeypatch.setenv("VOICECLI_FRONT_DESK_NOTES", str(notes))
    persona = load_persona(REPO / "personas" / "front_desk.yaml")
    recorder = start_recording(log, persona.name, "offline", "m", {}) if log is not None else None
    run = await converse(tmp_path, backend=backend, persona=persona, scenario=None, script=SCRIPT,
                         trigger=trigger, backoff=quick_backoff(), recorder=recorder, timeout_s=90)
    return run, notes


def assert_handed_over(run: Run, notes: Path) -> None:
    handoffs = [e for e in run.events if isinstance(e, ev.Handoff)]
    assert [(h.from_agent, h.to_agent) for h in handoffs] == [("Sam", "Laura")]
    assert [e.name for e in run.events if isinstance(e, ev.AgentChanged)] == ["Sam", "Laura"]
    assert run.conversation.persona.name == "Laura"
    assert len(notes.read_text().splitlines()) == 1  # the name was noted once, whatever dropped
    sessions = list(setups(run).items())
    laura = [conn for conn, setup in sessions if "You are Laura" in instruction(setup)]
    assert laura, "a session was opened with Laura's own instruction"
    seeded = instruction(setups(run)[laura[0]])
    assert "- caller_name: Ana" in seeded  # the carried fact
    assert "User: I would like some career coaching, please." in seeded  # the summary
    prompts = [m.text for m in run.sent if isinstance(m, ev.SendText)]
    front_desk = load_persona(REPO / "personas" / "front_desk.yaml")
    assert prompts.count(greeting_prompt(front_desk)) == 1  # the front desk greeted once
    assert greeting_prompt(run.conversation.persona) not in prompts  # Laura took over, without a greeting
    openings = [text for conn in laura for text in texts_on(run, conn) if "transferred the user to you" in text]
    assert openings, "Laura's session got the opening prompt"
    assert not any("greet the user now" in text for conn in laura for text in texts_on(run, conn))
    assert replay_report(run).lost == 0
    # The script's last turn was answered by Laura, after her opening turn.
    assert len(run.agent_turns) >= 5 and run.agent_turns[-1]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_front_desk_hands_over_to_laura_with_the_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            backend: str) -> None:
    with SessionLog.open(tmp_path / "log.sqlite3") as log:
        run, notes = await handoff_run(tmp_path, monkeypatch, backend, log=log)
        record = log.session("latest")
    assert_handed_over(run, notes)
    first, *later = sorted(setups(run))
    assert later, "the target got a session of its own"
    # The front desk's session ended because the client left it, not by a fault.
    assert not [r for r in run.records if r["conn"] == first and r["dir"] == "drop"]
    assert record is not None
    agents = [(e.role, e.agent) for e in record.entries if isinstance(e, TranscriptEntry)]
    assert ("agent", "Sam") in agents and ("agent", "Laura") in agents
    first_laura = agents.index(("agent", "Laura"))
    assert all(agent == "Laura" for _, agent in agents[first_laura:])
    assert [e.detail["to"] for e in record.entries if isinstance(e, EventEntry) and e.kind == "handoff"] == ["Laura"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("moment", ["transfer_call", "opening"])
async def test_a_drop_during_the_handoff_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       backend: str, moment: str) -> None:
    fired: list[str] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if fired:
            return
        at_call = (moment == "transfer_call" and what == "event" and isinstance(item, ev.ToolCallsRequested)
                   and any(call.name == "transfer_to_laura" for call in item.calls))
        at_opening = (moment == "opening" and what == "sent" and isinstance(item, ev.SendText)
                      and "transferred the user to you" in item.text)
        if at_call or at_opening:
            fired.append(moment)
            run.emu.faults.drop_now()

    run, notes = await handoff_run(tmp_path, monkeypatch, backend, trigger)
    assert fired == [moment]
    assert any(s.state == "connected" and s.detail == "resumed" for s in run.states)
    assert_handed_over(run, notes)
    transfers = [call for call in run.tool_calls if call.name == "transfer_to_laura"]
    assert len({call.call_id for call in transfers}) == 1  # one transfer, however often it was asked for


def _cli_handoff(tmp_path: Path) -> tuple[Any, Any]:
    from tests.e2e.conftest import voicecli

    log_db = tmp_path / "log.sqlite3"
    run = voicecli("talk", "--offline", "--persona", "front_desk", "--backend", "vertex", "--speed", "0", "--fast",
                   "--say", "Hi, my name is Ana.", "--say", "I would like some career coaching, please.",
                   "--say", "I want to move into product management.", "--json", "--timeout", "90",
                   "--log-db", str(log_db), env={"VOICECLI_FRONT_DESK_NOTES": str(tmp_path / "notes.jsonl")})
    shown = voicecli("logs", "--log-db", str(log_db), "--json", "show", "latest")
    return run, shown


def test_talk_front_desk_offline_is_one_logged_conversation_across_two_agents(tmp_path: Path) -> None:
    import json

    run, shown = _cli_handoff(tmp_path)
    assert run.code == 0, run.stderr
    (summary,) = run.of_type("summary")
    assert summary["handoffs"] == 1 and summary["tools_run"] == 1
    assert [c["name"] for c in run.of_type("tool_call")] == ["note_caller_name", "transfer_to_laura"]
    assert shown.code == 0, shown.stderr
    entries = json.loads(shown.stdout)["entries"]
    speakers = [e["agent"] for e in entries if e["type"] == "transcript" and e["role"] == "agent"]
    assert speakers[0] == "Sam" and speakers[-1] == "Laura" and speakers.count("Laura") >= 2
    handoff = [e["detail"] for e in entries if e["type"] == "event" and e["kind"] == "handoff"]
    assert [(h["from"], h["to"]) for h in handoff] == [("Sam", "Laura")]
    assert "caller_name" in handoff[0]["facts"]
    assert "Traceback" not in run.stderr


def test_talk_json_has_a_handoff_event(tmp_path: Path) -> None:
    run, _ = _cli_handoff(tmp_path)
    handoffs = run.of_type("handoff")
    assert [(h["from_agent"], h["to_agent"]) for h in handoffs] == [("Sam", "Laura")]
    assert handoffs[0]["reason"]
