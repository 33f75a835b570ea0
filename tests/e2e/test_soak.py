"""Soak: many random faults during a long scripted conversation, on both backends.

Faults (1006 drops, GoAway, GoAway followed by a 1011 deadline close) land at random moments
while the user speaks and while the agent answers. The frame record must show: on Vertex AI
every client frame consumed exactly once and in order; on the Developer API nothing lost; no
tool run twice; every user turn answered; one greeting. Short in CI; ``VOICECLI_SOAK=long`` runs
the long version (``make soak``).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from tests.e2e.resilience_harness import (
    Run,
    consumed_transparent,
    converse,
    greeting_count,
    label,
    laura_rows,
    laura_script,
    replay_report,
    speaking,
)
from voicecli import events as ev
from voicecli.live.backoff import Backoff

LONG = os.environ.get("VOICECLI_SOAK") == "long"
REPEAT, FAULT_RATE = (12, 1 / 120) if LONG else (1, 1 / 200)
pytestmark = [pytest.mark.slow] if LONG else []


def random_faults(rng: random.Random, injected: list[str]) -> object:
    def trigger(run: Run, what: str, item: object) -> None:
        # While the user speaks, and while the agent answers (its audio or a tool call arriving).
        moment = speaking(run, item) if what == "sent" else isinstance(item, ev.AgentAudio | ev.ToolCallsRequested)
        if not moment or rng.random() >= FAULT_RATE:
            return
        fault = rng.choice(["drop", "goaway", "goaway+1011"])
        injected.append(fault)
        if fault == "drop":
            run.emu.faults.drop_now()
        elif fault == "goaway":
            run.emu.faults.go_away_now(5.0)
        else:
            run.emu.faults.go_away_now(0.5)
            run.emu.faults.close_now(1011, "Deadline expired before operation could complete.")

    return trigger


@pytest.mark.parametrize("backend", ["developer", "vertex"])
async def test_soak(tmp_path: Path, backend: str) -> None:
    rng = random.Random(f"soak-{backend}")
    injected: list[str] = []
    script = laura_script(REPEAT)
    run = await converse(
        tmp_path, backend=backend, trigger=random_faults(rng, injected),  # type: ignore[arg-type]
        script=script, timeout_s=600 if LONG else 60,
        backoff=Backoff(time.monotonic, random.Random(1), base_s=0.02, cap_s=0.1, budget=10_000),  # budget: own test
    )
    report = replay_report(run)
    print(f"\nsoak {backend}: turns={len(script)} faults injected={len(injected)} "
          f"({', '.join(sorted(set(injected)))}) connections={run.connection.connections} "
          f"frames sent={report.sent} received={report.received} replayed={report.replayed} "
          f"lost={report.lost} duplicated={report.duplicated}")
    assert injected  # the seeded schedule does inject faults
    assert len(run.agent_turns) == len(script) + 1  # the greeting, then one answer per user turn
    assert greeting_count(run) == 1
    assert sum(turn.startswith("Hi, I'm Laura") for turn in run.agent_turns) == 1
    # A call asked again after a resume keeps its id; the rows below prove none ran twice.
    assert len({call.call_id for call in run.tool_calls}) == 5
    assert laura_rows() == {"clients": 1, "action_items": 2, "appointments": 1}
    assert report.lost == 0
    if backend == "vertex":
        assert consumed_transparent(run.records) == [label(message) for message in run.sent]


HANDOFF_RATE = 1 / 40 if LONG else 1 / 80


@pytest.mark.parametrize("backend", ["developer", "vertex"])
async def test_soak_through_a_handoff(tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random faults while a front desk hands the caller to Laura: one handoff, nothing lost, no tool twice."""
    from tests.e2e.test_handoff_e2e import REPO, SCRIPT
    from voicecli.persona import load_persona

    rng = random.Random(f"soak-handoff-{backend}")
    injected: list[str] = []
    notes = tmp_path / "notes.jsonl"
    monkeypatch.setenv("VOICECLI_FRONT_DESK_NOTES", str(notes))

    def trigger(run: Run, what: str, item: object) -> None:
        if what != "event" or not isinstance(item, ev.AgentAudio | ev.ToolCallsRequested):
            return
        if rng.random() < HANDOFF_RATE:
            fault = rng.choice(["drop", "goaway"])
            injected.append(fault)
            run.emu.faults.drop_now() if fault == "drop" else run.emu.faults.go_away_now(2.0)

    run = await converse(
        tmp_path, backend=backend, persona=load_persona(REPO / "personas" / "front_desk.yaml"), scenario=None,
        script=SCRIPT * (4 if LONG else 1), trigger=trigger, timeout_s=600 if LONG else 90,
        backoff=Backoff(time.monotonic, random.Random(1), base_s=0.02, cap_s=0.1, budget=10_000),
    )
    report = replay_report(run)
    print(f"\nsoak handoff {backend}: faults injected={len(injected)} sessions={len(run.link.connections)} "
          f"lost={report.lost} duplicated={report.duplicated}")
    assert injected  # the seeded schedule does inject faults
    assert [(e.from_agent, e.to_agent) for e in run.events if isinstance(e, ev.Handoff)] == [("Sam", "Laura")]
    assert len(run.link.connections) == 2  # one Live connection (resumed as needed) per agent
    assert len(notes.read_text().splitlines()) == 1  # the front desk's tool ran once
    assert len({call.call_id for call in run.tool_calls if call.name == "transfer_to_laura"}) == 1
    assert report.lost == 0
