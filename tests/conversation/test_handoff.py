"""A transfer call, as the conversation sees it: answered once, carried out after the reply, logged as one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.resilience_harness import NullSink
from voicecli import events as ev
from voicecli.agent import Conversation
from voicecli.persona import load_persona
from voicecli.recorder import start_recording
from voicecli.store import SessionLog
from voicecli.store.records import EventEntry, ToolCallEntry, TranscriptEntry
from voicecli.tools import ToolRuntime

REPO = Path(__file__).resolve().parents[2]


class Harness:
    def __init__(self, persona_path: Path, log: SessionLog | None = None) -> None:
        persona = load_persona(persona_path)
        self.seen: list[object] = []
        self.switches = 0
        recorder = start_recording(log, persona.name, "offline", "m", {}) if log is not None else None
        self.conversation = Conversation(persona=persona, tools=ToolRuntime(persona), sink=NullSink(),
                                         notify=self.seen.append, recorder=recorder, greeting=False)

    async def link(self, conversation: Conversation) -> None:
        """What the real link does at a handoff, without a service: wait for the switch, take over."""
        while True:
            await conversation.switch_due.wait()
            self.switches += 1
            conversation.take_over()

    def sent(self) -> list[ev.Outgoing]:
        queue = self.conversation.outgoing
        return [queue._items[i] for i in range(queue.qsize())]  # noqa: SLF001 - nothing takes from it here

    def replies(self) -> list[ev.ToolReply]:
        return [reply for message in self.sent() if isinstance(message, ev.SendToolResponses)
                for reply in message.replies]

    async def until(self, predicate: Any) -> None:
        async with asyncio.timeout(10):
            while not predicate():  # noqa: ASYNC110 - state moves on the conversation's own tasks
                await asyncio.sleep(0.005)


def _call(call_id: str, name: str, **args: Any) -> ev.ToolCallsRequested:
    return ev.ToolCallsRequested((ev.ToolCallEvent(call_id, name, args),))


async def test_a_transfer_waits_for_the_reply_then_the_target_takes_over_with_the_facts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICECLI_FRONT_DESK_NOTES", str(tmp_path / "notes.jsonl"))
    with SessionLog.open(tmp_path / "log.sqlite3") as log:
        h = Harness(REPO / "personas" / "front_desk.yaml", log)
        conv = h.conversation

        async def drive() -> None:
            conv.on_server_event(ev.Transcript("user", "Hi, my name is Ana."))
            conv.on_server_event(_call("c1", "note_caller_name", caller_name="Ana"))
            await h.until(lambda: len(h.replies()) == 1)
            conv.on_server_event(ev.Transcript("agent", "Nice to meet you, Ana."))
            conv.on_server_event(ev.ServerTurnComplete())
            conv.on_server_event(ev.Transcript("user", "I want career coaching."))
            conv.on_server_event(_call("c2", "transfer_to_laura"))
            await h.until(lambda: len(h.replies()) == 2)
            conv.on_server_event(_call("c2", "transfer_to_laura"))  # asked again (a resumed session)
            await h.until(lambda: len(h.replies()) == 3)
            conv.on_server_event(ev.Transcript("agent", "Connecting you to Laura now."))
            assert not conv.switch_due.is_set()  # the reply under way finishes first
            conv.on_server_event(ev.ServerTurnComplete())
            await h.until(lambda: h.switches == 1)
            conv.on_server_event(ev.Transcript("agent", "Hi Ana, Laura here."))
            conv.on_server_event(ev.ServerTurnComplete())

        await conv.run(h.link, drive)
        record = log.session("latest")

    assert conv.persona.name == "Laura" and h.switches == 1 and conv.stats.handoffs == 1
    transfer = [reply for reply in h.replies() if reply.call_id == "c2"]
    assert [reply.response for reply in transfer] == [{"output": {"transferred_to": "Laura"}}] * 2
    assert [e for e in h.seen if isinstance(e, ev.Handoff | ev.AgentChanged)] == [
        ev.AgentChanged("Sam"),
        ev.Handoff("Sam", "Laura", load_persona(REPO / "personas" / "front_desk.yaml").handoffs[0].when or ""),
        ev.AgentChanged("Laura"),
    ]
    opening = [m for m in h.sent() if isinstance(m, ev.SendText)]
    assert len(opening) == 1 and "Laura" in opening[0].text
    assert conv.seed is not None and "- caller_name: Ana" in conv.seed
    assert "User: I want career coaching." in conv.seed and "Sam: Nice to meet you, Ana." in conv.seed
    assert conv.stats.tools_run == 1  # the transfer is no tool run, and was answered twice, run once
    assert record is not None
    rows = [(type(e).__name__, e.agent) for e in record.entries
            if isinstance(e, TranscriptEntry | ToolCallEntry | EventEntry)]
    assert rows == [("TranscriptEntry", "Sam"), ("ToolCallEntry", "Sam"), ("TranscriptEntry", "Sam"),
                    ("TranscriptEntry", "Sam"), ("ToolCallEntry", "Sam"), ("TranscriptEntry", "Sam"),
                    ("EventEntry", "Sam"), ("TranscriptEntry", "Laura")]
    calls = [e for e in record.entries if isinstance(e, ToolCallEntry)]
    assert [(c.name, c.status) for c in calls] == [("note_caller_name", "done"), ("transfer_to_laura", "done")]


async def test_a_target_that_does_not_load_is_one_clear_message(tmp_path: Path) -> None:
    persona = tmp_path / "desk.yaml"
    persona.write_text((REPO / "personas" / "front_desk.yaml").read_text().replace("- to: laura", "- to: nobody")
                       .replace("transfer_to_laura", "transfer_to_nobody"))
    (tmp_path / "front_desk_tools.py").write_text((REPO / "personas" / "front_desk_tools.py").read_text())
    h = Harness(persona)
    conv = h.conversation

    async def drive() -> None:
        conv.on_server_event(_call("c1", "transfer_to_nobody"))
        await h.until(lambda: len(h.replies()) == 1)
        conv.on_server_event(ev.ServerTurnComplete())
        await asyncio.sleep(0.05)

    await conv.run(h.link, drive)
    assert h.switches == 0 and conv.persona.name == "Sam"
    (reply,) = h.replies()
    assert reply.response["error"]["type"] == "handoff_failed"
    errors = [e for e in h.seen if isinstance(e, ev.Notice) and e.level == "error"]
    assert len(errors) == 1 and errors[0].text.startswith("cannot hand off to nobody:")
    assert "Traceback" not in errors[0].text


async def test_the_target_comes_from_the_loader_talk_gives_it(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """talk passes a loader whose targets already hold their MCP tools: the new agent declares them."""
    from dataclasses import replace

    from voicecli.persona import load_handoff_target
    from voicecli.persona.model import ToolSpec

    monkeypatch.setenv("VOICECLI_FRONT_DESK_NOTES", str(tmp_path / "notes.jsonl"))
    loaded: list[str] = []

    def load_target(persona: Any, handoff: Any) -> Any:
        target = load_handoff_target(persona, handoff)
        loaded.append(target.name)
        extra = replace(target.tools[0], name="add_note", description="Adds a note.")
        assert isinstance(extra, ToolSpec)
        return target.with_tools([extra])

    persona = load_persona(REPO / "personas" / "front_desk.yaml")
    conv = Conversation(persona=persona, tools=ToolRuntime(persona), sink=NullSink(), notify=lambda _: None,
                        greeting=False, load_target=load_target)
    h = Harness(REPO / "personas" / "front_desk.yaml")
    h.conversation = conv

    async def drive() -> None:
        conv.on_server_event(_call("c1", "transfer_to_laura"))
        await h.until(lambda: len(h.replies()) == 1)
        conv.on_server_event(ev.ServerTurnComplete())
        await h.until(lambda: h.switches == 1)

    await conv.run(h.link, drive)
    assert loaded == ["Laura"]
    assert conv.persona.name == "Laura" and conv.persona.tool("add_note") is not None
