"""Drive a scripted conversation through the real SDK against an in-process emulator, with faults.

The conversation is assembled by ``voicecli.conversation.assemble``, the function ``voicecli.talk``
uses; the difference is that a test holds the emulator and a *trigger*: a callback that sees every
message the client takes off its outgoing queue and every event the server sends, and may inject
a fault at that exact moment. The frame record then says what the service consumed, which
``consumed_kinds`` and ``replay_report`` compare with what was sent. Laura's scenario drives the
agent by default; ``persona=`` and ``scenario=None`` run another persona with the generic brain.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicecli import events as ev
from voicecli.agent import Conversation, ScriptTurn, split_frames
from voicecli.audio.format import INPUT_RATE, output_seconds
from voicecli.conversation.assemble import Link, assemble
from voicecli.emulator import Emulator, Faults
from voicecli.live.backends import Credentials, make_client
from voicecli.live.backoff import Backoff
from voicecli.live.config import TalkSettings
from voicecli.live.connection import LiveConnection
from voicecli.outgoing import OutgoingQueue
from voicecli.persona import Persona
from voicecli.persona.instructions import greeting_prompt
from voicecli.persona.loader import load_persona
from voicecli.recorder import Recorder
from voicecli.speech.tts import synthesize

REPO = Path(__file__).resolve().parents[2]
LAURA_LINES = (REPO / "personas" / "laura.demo.txt").read_text().splitlines()
# The first words of each agent turn, in scenario order: greeting, then one per demo line.
LAURA_REPLIES = ("Hi, I'm Laura", "Thank you, Ana", "That sounds hard", "Good ideas",
                 "Let me check your appointments", "Booking it now")
FALLBACK_REPLY = "I heard"

_SPEECH: dict[str, list[bytes]] = {}


def speech(line: str) -> list[bytes]:
    """16 kHz frames of a line, synthesised once per test process."""
    if line not in _SPEECH:
        _SPEECH[line] = split_frames(synthesize(line, rate=INPUT_RATE))
    return _SPEECH[line]


class NullSink:
    """Agent audio goes nowhere; counts what arrived."""

    def __init__(self) -> None:
        self.received_bytes = 0

    def play(self, pcm24k: bytes) -> None:
        self.received_bytes += len(pcm24k)

    def end_reply(self) -> None:
        return None

    def flush(self) -> float:
        return 0.0

    @property
    def played_seconds(self) -> float:
        return output_seconds(self.received_bytes)

    @property
    def audible(self) -> bool:
        return False

    level_dbfs = -100.0
    underflows = 0

    async def drain(self) -> None:
        return None


@dataclass
class Run:
    """What one run left behind, for assertions."""

    emu: Emulator
    conversation: Conversation
    link: Link
    sent: list[ev.Outgoing] = field(default_factory=list)  # every message taken off the queue, in order
    notices: list[ev.Notice] = field(default_factory=list)
    states: list[ev.ConnectionState] = field(default_factory=list)
    agent_turns: list[str] = field(default_factory=list)  # the agent's text for each completed turn
    tool_calls: list[ev.ToolCallEvent] = field(default_factory=list)
    setups: list[dict[str, Any]] = field(default_factory=list)
    events: list[object] = field(default_factory=list)  # handoffs, agent changes and other notifications
    faults: int = 0
    audio_frames_sent: int = 0

    @property
    def records(self) -> list[dict[str, Any]]:
        return self.emu.record

    @property
    def connection(self) -> LiveConnection:
        """The active agent's connection (the only one, without handoffs)."""
        assert self.link.connection is not None
        return self.link.connection


# A trigger sees ("sent", message) for each message the client takes off its queue and
# ("event", server_event) for each translated server event; it may act on ``run.emu.faults``.
Trigger = Callable[["Run", str, object], None]


class _TappedQueue(OutgoingQueue):
    """The conversation's outgoing queue, telling the trigger about each message the sender takes."""

    def __init__(self, on_take: Callable[[ev.Outgoing], None]) -> None:
        super().__init__()
        self._on_take = on_take

    async def get(self) -> ev.Outgoing:
        message = await super().get()
        self._on_take(message)
        return message


def laura_script(repeat: int = 1) -> list[ScriptTurn]:
    turns = [ScriptTurn(label=line, frames=speech(line)) for line in LAURA_LINES]
    return turns * repeat


async def converse(  # noqa: PLR0913 - a test's knobs, each a keyword
    tmp_path: Path,
    *,
    backend: str,
    trigger: Trigger | None = None,
    script: list[ScriptTurn] | None = None,
    emulator_options: dict[str, Any] | None = None,
    backoff: Backoff | None = None,
    timeout_s: float = 60.0,
    faults: Faults | None = None,
    keep_sent: bool = True,
    persona: Persona | None = None,
    scenario: Path | None = REPO / "personas" / "laura.scenario.yaml",
    recorder: Recorder | None = None,
) -> Run:
    """Run a scripted conversation (Laura's, by default) to its end (or its error) and return what happened.

    ``keep_sent=False`` only counts the audio sent instead of keeping every message (for a
    memory measurement of the client, not of this harness).
    """
    persona = persona or load_persona("laura")
    settings = TalkSettings(backend="vertex" if backend == "vertex" else "developer")
    # A scenario drives these runs whatever is said: no recognition needed (it costs CPU).
    options = {"speed": 0, "recognition": False, **(emulator_options or {})}
    async with Emulator(ca_dir=tmp_path / "ca", scenario=scenario, faults=faults, **options) as emu:
        creds = Credentials(settings.backend, api_key="emulator-key", base_url=emu.base_url,
                            ca_file=emu.ca_file, offline=True)
        holder: list[Run] = []
        current = [""]

        def notify(event: object) -> None:
            run = holder[0]
            if isinstance(event, ev.Notice):
                run.notices.append(event)
            elif isinstance(event, ev.ConnectionState):
                run.states.append(event)
            elif isinstance(event, ev.ToolCallEvent):
                run.tool_calls.append(event)
            elif isinstance(event, ev.Transcript) and event.role == "agent":
                current[0] = event.text
            elif isinstance(event, ev.TurnComplete):
                run.agent_turns.append(current[0])
                current[0] = ""
            else:
                run.events.append(event)

        def on_take(message: ev.Outgoing) -> None:
            run = holder[0]
            if isinstance(message, ev.SendAudio):
                run.audio_frames_sent += 1
            if keep_sent:
                run.sent.append(message)
            if trigger is not None:
                trigger(run, "sent", message)

        def on_setup(agent: Persona, handle: str | None, context: str | None) -> None:
            holder[0].setups.append({"agent": agent.name, "handle": handle, "context": context})

        def on_event(event: object) -> None:
            if trigger is not None:
                trigger(holder[0], "event", event)

        conversation, link = assemble(
            persona=persona, settings=settings, client=make_client(creds), sink=NullSink(), notify=notify,
            recorder=recorder, outgoing=_TappedQueue(on_take), backoff=backoff, on_event=on_event,
            on_setup=on_setup,
        )
        holder.append(Run(emu, conversation, link))
        try:
            await conversation.run_script(link.run, script if script is not None else laura_script(),
                                          realtime=False, timeout_s=timeout_s)
        except BaseExceptionGroup as group:
            raise _first_leaf(group) from None
        return holder[0]


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


# ---- reading the frame record --------------------------------------------------------------------


def kind(frame: dict[str, Any]) -> str:
    """A comparable label for a client frame: its kind, plus the text or call ids it carries."""
    if "realtime_input" in frame:
        body = frame["realtime_input"]
        if "audio" in body:
            return "audio"
        if body.get("audio_stream_end"):
            return "audio_stream_end"
        if "activity_start" in body:
            return "activity_start"
        if "activity_end" in body:
            return "activity_end"
    if "client_content" in frame:
        parts = [part.get("text", "") for turn in frame["client_content"].get("turns", [])
                 for part in turn.get("parts", [])]
        return "text:" + " ".join(parts)
    if "tool_response" in frame:
        ids = [response.get("id") for response in frame["tool_response"].get("function_responses", [])]
        return "tool_response:" + ",".join(str(i) for i in ids)
    return "other:" + ",".join(frame)


def label(message: ev.Outgoing) -> str:
    """The same label for a message the client sent."""
    match message:
        case ev.SendAudio():
            return "audio"
        case ev.SendAudioStreamEnd():
            return "audio_stream_end"
        case ev.SendActivityStart():
            return "activity_start"
        case ev.SendActivityEnd():
            return "activity_end"
        case ev.SendText(text):
            return "text:" + text
        case ev.SendToolResponses(replies):
            return "tool_response:" + ",".join(reply.call_id for reply in replies)
    raise TypeError(message)


def client_frames(records: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Client frames after setup, per connection, in arrival order."""
    by_conn: dict[int, list[dict[str, Any]]] = {}
    for record in records:
        if record["dir"] == "in" and record.get("index", 0) > 0:
            by_conn.setdefault(record["conn"], []).append(record)
    return by_conn


def last_acks(records: list[dict[str, Any]]) -> dict[int, int]:
    """Per connection: the last ``lastConsumedClientMessageIndex`` of a resumable update it sent."""
    acks: dict[int, int] = {}
    for record in records:
        update = (record.get("frame") or {}).get("sessionResumptionUpdate") if record["dir"] == "out" else None
        if update and update.get("resumable") and "lastConsumedClientMessageIndex" in update:
            acks[record["conn"]] = int(update["lastConsumedClientMessageIndex"])
    return acks


def consumed_transparent(records: list[dict[str, Any]]) -> list[str]:
    """What a transparent-resumption service consumed: each connection up to its last ack, the last whole."""
    frames = client_frames(records)
    acks = last_acks(records)
    ordered = sorted(frames)
    out: list[str] = []
    for conn in ordered:
        cut = None if conn == ordered[-1] else acks.get(conn, 0)
        out.extend(kind(r["frame"]) for r in frames[conn] if cut is None or r["index"] <= cut)
    return out


@dataclass
class ReplayReport:
    sent: int  # distinct messages the conversation produced
    received: int  # client frames the service received, over all connections
    replayed: int  # frames the client sent again after a resume
    duplicated: int  # frames the service received more than once
    lost: int  # messages the service never received


def replay_report(run: Run) -> ReplayReport:
    """Figures from the client's send log and the emulator's record.

    Audio frames are identical on the wire, so they are compared by position: a message is lost
    when the received stream, read in order, cannot account for it; the surplus is duplication.
    """
    received = [kind(r["frame"]) for conn in sorted(client_frames(run.records))
                for r in client_frames(run.records)[conn]]
    sent = [label(m) for m in run.sent]
    lost = _missing_in_order(sent, received)
    replayed = sum(connection.frames_replayed for connection in run.link.connections)
    return ReplayReport(sent=len(sent), received=len(received), replayed=replayed,
                        duplicated=len(received) - (len(sent) - lost), lost=lost)


def _missing_in_order(sent: list[str], received: list[str]) -> int:
    """How many of ``sent`` (in order) are not matched by a subsequence of ``received``."""
    missing, position = 0, 0
    for item in sent:
        try:
            position = received.index(item, position) + 1
        except ValueError:
            missing += 1
    return missing


def laura_rows() -> dict[str, int]:
    """Row counts of Laura's database (one per tool side effect)."""
    from voicecli.paths import data_dir

    path = data_dir() / "laura.sqlite3"
    with sqlite3.connect(path) as db:
        return {table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                for table in ("clients", "action_items", "appointments")}


def greeting_count(run: Run) -> int:
    """How many times the client asked the agent to greet (a resume must never ask again)."""
    prompt = greeting_prompt(run.conversation.persona)
    return sum(1 for m in run.sent if isinstance(m, ev.SendText) and m.text == prompt)


def speaking(run: Run, message: object) -> bool:
    """The message is audio well inside the current utterance (before the service can hear its end)."""
    if not isinstance(message, ev.SendAudio):
        return False
    count = 0
    for sent in reversed(run.sent):
        if not isinstance(sent, ev.SendAudio):
            break
        count += 1
    return count < 60
