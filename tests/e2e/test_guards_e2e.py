"""The guards end to end: the real SDK, the emulator's stall and drift faults, both backends.

A stalled turn is recovered by the nudge, or by a resume when the nudge stalls too; a drifted turn is
steered back; the note of what the user heard goes once per interruption and is never replayed after a
drop. The emulator's record of client text says what the service actually received; the summary and
``voicecli logs show`` carry the figures.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.e2e.resilience_harness as harness
from tests.e2e.conftest import voicecli
from tests.e2e.resilience_harness import Run, converse, speech
from voicecli import events as ev
from voicecli.agent import ScriptTurn
from voicecli.audio.format import output_seconds
from voicecli.conversation.assemble import assemble
from voicecli.emulator.records import client_texts
from voicecli.guards.drift import steer_text
from voicecli.guards.settings import GuardSettings
from voicecli.guards.stall import NUDGE_TEXT
from voicecli.persona import Persona, load_persona
from voicecli.recorder import start_recording
from voicecli.store import SessionLog
from voicecli.store.records import EventEntry

BACKENDS = ["developer", "vertex"]
# Short waits keep the runs quick; a healthy reply at emulator speed 0 takes milliseconds.
QUICK = GuardSettings(stall_after_s=1.0, stall_step_wait_s=1.0)
ADA = """\
persona:
  name: Ada
  role: a home assistant
  language: en-US
greeting:
  text: Say hello in one short sentence.
rules:
  - title: Help
    kind: loop
    instructions: Answer the user's questions briefly.
"""
STORY = ("Here is a long story about a lighthouse keeper who counted every ship that passed, every storm "
         "that rose, and every gull that landed on the rail, for forty years, without ever missing a single "
         "night, until the night the lamp went dark and the keeper walked down to the shore to see why.")
BARGE_SCENARIO = f"""\
name: barge
steps:
  - opening: true
    say: "Hello, I'm Ada."
  - user: "Tell me a long story."
    say: "{STORY}"
  - user: "Stop, stop please."
    say: "Of course, I'll stop there."
  - user: "Thanks."
    say: "You're welcome."
"""


@pytest.fixture
def ada(tmp_path: Path) -> Persona:
    path = tmp_path / "ada.yaml"
    path.write_text(ADA)
    return load_persona(path)


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[GuardSettings]]:
    """The harness's conversations get these guard settings (the harness itself takes none)."""
    chosen = [QUICK]

    def assemble_guarded(**kwargs: Any) -> Any:
        return assemble(**kwargs, guards=chosen[0])

    monkeypatch.setattr(harness, "assemble", assemble_guarded)
    yield chosen


class EarSink(harness.NullSink):
    """Plays in real time, as a speaker would: what was heard at a flush is the time since the reply began."""

    def __init__(self) -> None:
        super().__init__()
        self._started: float | None = None
        self._reply_bytes = 0

    def play(self, pcm24k: bytes) -> None:
        super().play(pcm24k)
        self._started = self._started if self._started is not None else time.monotonic()
        self._reply_bytes += len(pcm24k)

    def end_reply(self) -> None:
        self._started, self._reply_bytes = None, 0

    def flush(self) -> float:
        if self._started is None:
            return 0.0
        heard = min(time.monotonic() - self._started, output_seconds(self._reply_bytes))
        self.end_reply()
        return heard


def texts(run: Run, *, notes_only: bool = False) -> list[dict[str, Any]]:
    return client_texts(run.records, notes_only=notes_only)


def received(run: Run, words: str) -> int:
    """How many times the service received this text from the client, over all connections."""
    return sum(1 for text in texts(run) if text["text"] == words)


def stalls(run: Run) -> list[tuple[str, bool]]:
    return [(e.stage, e.recovered) for e in run.events if isinstance(e, ev.Stall)]


def arm_at(text: str, action: Any) -> harness.Trigger:
    """A trigger that acts (once) when the client takes the text turn ``text`` off its queue."""
    fired: list[bool] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if not fired and what == "sent" and isinstance(item, ev.SendText) and item.text == text:
            fired.append(True)
            action(run)

    return trigger


def logged(log: SessionLog, kind: str) -> list[dict[str, Any]]:
    record = log.session("latest")
    assert record is not None
    return [e.detail for e in record.entries if isinstance(e, EventEntry) and e.kind == kind]


# ---- silent stall --------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_stalled_turn_is_recovered_by_the_nudge(tmp_path: Path, backend: str, ada: Persona,
                                                        guarded: list[GuardSettings]) -> None:
    question = "What can you do for me?"
    script = [ScriptTurn("question", text=question), ScriptTurn("thanks", text="Thanks.")]
    with SessionLog.open(tmp_path / "log.sqlite3") as log:
        recorder = start_recording(log, ada.name, backend, "m", {})
        run = await converse(tmp_path, backend=backend, persona=ada, scenario=None, script=script,
                             recorder=recorder, trigger=arm_at(question, lambda r: r.emu.faults.stall(1)))
        summary = run.conversation.stats.summary()
        recorder.end("completed", summary)
        stall_log = logged(log, "stall")
    assert run.emu.faults.stalls == 1  # the question was held back, nothing else
    assert stalls(run) == [("nudge", False), ("nudge", True)]
    assert received(run, NUDGE_TEXT) == 1
    assert len(run.agent_turns) == 3  # greeting, the question (answered after the nudge), thanks
    assert summary["stalls"] == 1 and summary["stall_recoveries"] == {"nudge": 1, "resume": 0, "fresh_session": 0}
    assert [(d["stage"], d.get("recovered", False)) for d in stall_log] == [("nudge", False), ("nudge", True)]
    assert stall_log[0]["kind"] == "after_user_turn"
    shown = voicecli("logs", "--log-db", str(tmp_path / "log.sqlite3"), "show", "latest")
    assert shown.code == 0, shown.stderr
    (line,) = [line for line in shown.stdout.splitlines() if line.startswith("summary: ")]
    figures = json.loads(line.removeprefix("summary: "))
    assert figures["stalls"] == 1 and figures["stall_recoveries"]["nudge"] == 1
    assert figures["language_drifts"] == 0 and figures["heard_notes"] == 0


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_stall_the_nudge_cannot_end_is_recovered_by_a_resume(tmp_path: Path, backend: str, ada: Persona,
                                                                     guarded: list[GuardSettings]) -> None:
    question = "What can you do for me?"
    script = [ScriptTurn("question", text=question), ScriptTurn("thanks", text="Thanks.")]
    # Two held-back turns: the question and the nudge; the resumed session hears the question again.
    run = await converse(tmp_path, backend=backend, persona=ada, scenario=None, script=script,
                         trigger=arm_at(question, lambda r: r.emu.faults.stall(2)))
    assert run.emu.faults.stalls == 2
    assert stalls(run) == [("nudge", False), ("resume", False), ("resume", True)]
    assert any(s.state == "connected" and s.detail == "resumed" for s in run.states)
    assert run.setups[-1]["handle"] is not None, "the last session was resumed from a handle"
    assert received(run, NUDGE_TEXT) == 1  # the nudge is never replayed; the replayed question asks again
    assert received(run, question) == 2  # sent once, replayed once on the resumed connection
    assert len(run.agent_turns) == 3
    summary = run.conversation.stats.summary()
    assert summary["stalls"] == 1 and summary["stall_recoveries"]["resume"] == 1


# ---- language drift ------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_drifted_turn_is_steered_back(tmp_path: Path, backend: str, ada: Persona,
                                              guarded: list[GuardSettings]) -> None:
    question = "What can you do for me?"
    script = [ScriptTurn("question", text=question), ScriptTurn("thanks", text="Thanks.")]
    with SessionLog.open(tmp_path / "log.sqlite3") as log:
        recorder = start_recording(log, ada.name, backend, "m", {})
        run = await converse(tmp_path, backend=backend, persona=ada, scenario=None, script=script,
                             recorder=recorder, trigger=arm_at(question, lambda r: r.emu.faults.drift(3)))
        drift_log = logged(log, "language_drift")
    drifts = [e for e in run.events if isinstance(e, ev.LanguageDrift)]
    assert [(d.expected, d.detected) for d in drifts] == [("en-US", "es")]
    assert received(run, steer_text("en-US")) == 1
    assert run.emu.faults.drift_turns == 0  # the steer ended the drift with replies left in it
    greeting, drifted, steered, thanks = run.agent_turns
    assert "español" in drifted
    assert steered == "Sorry about that. I'll speak English from now on."
    assert "español" not in thanks
    assert run.conversation.stats.summary()["language_drifts"] == 1
    assert [(d["expected"], d["detected"]) for d in drift_log] == [("en-US", "es")]


async def test_with_the_drift_guard_off_nothing_is_steered(tmp_path: Path, ada: Persona,
                                                           guarded: list[GuardSettings]) -> None:
    guarded[0] = GuardSettings(stall_after_s=0, drift=False)
    question = "What can you do for me?"
    run = await converse(tmp_path, backend="developer", persona=ada, scenario=None,
                         script=[ScriptTurn("question", text=question)],
                         trigger=arm_at(question, lambda r: r.emu.faults.drift(1)))
    assert "español" in run.agent_turns[-1]
    assert not [e for e in run.events if isinstance(e, ev.LanguageDrift)]
    assert received(run, steer_text("en-US")) == 0


# ---- what was heard ------------------------------------------------------------------------------


def barge_script() -> list[ScriptTurn]:
    return [ScriptTurn("story", text="Tell me a long story."),
            ScriptTurn("stop", frames=speech("Stop, stop please."), barge_in_s=0.6),
            ScriptTurn("thanks", text="Thanks.")]


async def barge_run(tmp_path: Path, backend: str, ada: Persona, monkeypatch: pytest.MonkeyPatch,
                    trigger: harness.Trigger | None = None) -> Run:
    scenario = tmp_path / "barge.scenario.yaml"
    scenario.write_text(BARGE_SCENARIO)
    monkeypatch.setattr(harness, "NullSink", EarSink)
    # A story long enough to cut: spoken four times faster than real time, heard in real time.
    return await converse(tmp_path, backend=backend, persona=ada, scenario=scenario, script=barge_script(),
                          emulator_options={"speed": 4}, trigger=trigger)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_heard_part_is_told_once_per_interruption(tmp_path: Path, backend: str, ada: Persona,
                                                            guarded: list[GuardSettings],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    guarded[0] = GuardSettings(stall_after_s=0)
    run = await barge_run(tmp_path, backend, ada, monkeypatch)
    interruptions = [e for e in run.events if isinstance(e, ev.Interrupted)]
    assert len(interruptions) == 1
    notes = texts(run, notes_only=True)
    assert len(notes) == 1 and notes[0]["turn_complete"] is False
    (shown,) = [e for e in run.events if isinstance(e, ev.HeardNote)]
    assert notes[0]["text"] == shown.text
    heard = interruptions[0].heard_text
    assert heard and f'heard only: "{heard}"' in shown.text and heard != STORY
    assert run.conversation.stats.summary()["heard_notes"] == 1
    assert run.agent_turns[-1] == "You're welcome."  # the conversation went on


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_heard_note_is_never_replayed_after_a_drop(tmp_path: Path, backend: str, ada: Persona,
                                                           guarded: list[GuardSettings],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    guarded[0] = GuardSettings(stall_after_s=0)
    dropped: list[int] = []
    barge_ins: list[ev.ServerInterrupted] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if isinstance(item, ev.ServerInterrupted):
            barge_ins.append(item)
        if not dropped and what == "sent" and isinstance(item, ev.SendText) and not item.turn_complete:
            dropped.append(1)
            # The note reaches the service first; the drop comes while it is still unacknowledged.
            asyncio.get_running_loop().call_later(0.2, run.emu.faults.drop_now)

    run = await barge_run(tmp_path, backend, ada, monkeypatch, trigger)
    assert dropped
    assert any(s.state == "connected" and s.detail == "resumed" for s in run.states)
    assert sum(connection.frames_replayed for connection in run.link.connections) > 0
    sent_notes = [m.text for m in run.sent if isinstance(m, ev.SendText) and not m.turn_complete]
    notes = texts(run, notes_only=True)
    # Each note the client sent reached the service once: none came back with the replay.
    assert [note["text"] for note in notes] == sent_notes
    first_conn = min(text["conn"] for text in texts(run))
    assert notes[0]["conn"] == first_conn
    # One per interruption: the resumed session, restored to before the story, heard the barge-in again.
    assert len(sent_notes) == len(barge_ins)
    assert run.conversation.stats.summary()["heard_notes"] == len(barge_ins)


async def test_no_note_with_the_option_off(tmp_path: Path, ada: Persona, guarded: list[GuardSettings],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    guarded[0] = GuardSettings(stall_after_s=0, heard_note=False)
    run = await barge_run(tmp_path, "developer", ada, monkeypatch)
    assert [e for e in run.events if isinstance(e, ev.Interrupted)]
    assert texts(run, notes_only=True) == []
    summary = run.conversation.stats.summary()
    assert summary["heard_notes"] == 0 and summary["heard_notes_withheld"] == 1
