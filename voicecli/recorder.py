"""Writes one conversation to the session log as it happens.

A transcript line is written at its first words and grown in place, a tool call when it starts
and finished in place, a turn's usage when it is reported. So the log is complete up to the
last event however the run ends, and its ``seq`` order is the order things began. Every row
names the agent that was active (a conversation may hand off from one agent to another).

Without a log the conversation gets a ``Recorder`` that writes nothing: the null object, so no
caller ever asks whether there is a log.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from voicecli import events as ev
from voicecli.usage import Tokens

if TYPE_CHECKING:
    from voicecli.store import SessionLog
    from voicecli.store.records import Role, ToolStatus


class Recorder:
    """The recorder's shape, writing nothing: for a conversation run without a session log."""

    session_id: str | None = None
    agent: str | None = None  # the agent whose words and calls are being recorded

    def switch_agent(self, name: str) -> None:
        """Another agent is speaking from now on: later rows carry its name."""
        self.agent = name

    def notice(self, text: str, level: str = "warning") -> None:
        """Something the user was told that is not part of the transcript."""
        self.event("notice", {"level": level, "text": text})

    def end(self, outcome: str, summary: dict[str, Any]) -> None:
        """The session is over: how it ended, and its figures."""

    def summary_fields(self) -> dict[str, Any]:
        """What the run summary adds about the log (the session id, when there is one)."""
        return {}

    def line(self, role: Role, text: str, turn: int) -> None:
        """The ``role``'s line of ``turn`` so far (the whole line, not a fragment)."""

    def cut_agent_line(self, heard_text: str) -> None:
        """The agent's line was cut off; ``heard_text`` is what the user heard of it."""

    def restart_agent_line(self) -> None:
        """The agent starts its reply again: later words go on a new line."""

    def end_turn(self) -> None:
        """The turn is over: the next words start new lines."""

    def tool_started(self, call: ev.ToolCallEvent) -> None: ...

    def tool_finished(self, call_id: str, response: dict[str, Any] | None, ok: bool, seconds: float,
                      status: ToolStatus) -> None:
        """A started call ended; a call already finished, or never started, is ignored."""

    def tool_cancelled(self, call_id: str) -> None:
        """A started call was cancelled (the user spoke over it, or the run ended)."""

    def tools_stopped(self) -> None:
        """The run is ending: calls still running are recorded as cancelled."""

    def usage(self, turn: int, tokens: Tokens) -> None:
        """The turn's latest usage report (it replaces an earlier one of the same turn)."""

    def event(self, kind: str, detail: dict[str, Any]) -> None: ...


class LogRecorder(Recorder):
    """Writes to one session of a ``SessionLog``, remembering the rows it is still filling in."""

    def __init__(self, log: SessionLog, session_id: str, agent: str | None = None) -> None:
        self._log = log
        self._session = session_id
        self.session_id = session_id
        self.agent = agent
        self._lines: dict[str, int] = {}  # role -> seq of the line being written
        self._tools: dict[str, tuple[int, float]] = {}  # call id -> (seq, monotonic start)
        self._usage: dict[int, int] = {}  # turn -> seq of its usage row

    def line(self, role: Role, text: str, turn: int) -> None:
        seq = self._lines.get(role)
        if seq is None:
            self._lines[role] = self._log.add_transcript(self._session, role, text, turn=turn, agent=self.agent)
        else:
            self._log.update_transcript(self._session, seq, text)

    def cut_agent_line(self, heard_text: str) -> None:
        seq = self._lines.get("agent")
        if seq is not None:
            self._log.interrupt_transcript(self._session, seq, heard_text)

    def restart_agent_line(self) -> None:
        self._lines.pop("agent", None)

    def end_turn(self) -> None:
        self._lines.clear()

    def tool_started(self, call: ev.ToolCallEvent) -> None:
        if call.call_id in self._tools:
            return
        seq = self._log.add_tool_call(self._session, call.call_id, call.name, call.args, None, False, 0.0,
                                      "running", agent=self.agent)
        self._tools[call.call_id] = (seq, time.monotonic())

    def tool_finished(self, call_id: str, response: dict[str, Any] | None, ok: bool, seconds: float,
                      status: ToolStatus) -> None:
        started = self._tools.pop(call_id, None)
        if started is not None:
            self._log.finish_tool_call(self._session, started[0], response, ok, seconds, status)

    def tool_cancelled(self, call_id: str) -> None:
        started = self._tools.get(call_id)
        if started is not None:
            self.tool_finished(call_id, None, False, time.monotonic() - started[1], "cancelled")

    def tools_stopped(self) -> None:
        for call_id in list(self._tools):
            self.tool_cancelled(call_id)

    def usage(self, turn: int, tokens: Tokens) -> None:
        seq = self._usage.get(turn)
        if seq is None:
            self._usage[turn] = self._log.add_usage(self._session, tokens.prompt, tokens.response, tokens.total,
                                                    turn=turn, agent=self.agent)
        else:
            self._log.update_usage(self._session, seq, tokens.prompt, tokens.response, tokens.total)

    def event(self, kind: str, detail: dict[str, Any]) -> None:
        self._log.add_event(self._session, kind, detail, agent=self.agent)

    def end(self, outcome: str, summary: dict[str, Any]) -> None:
        self._log.end_session(self._session, outcome=outcome, summary=summary)

    def summary_fields(self) -> dict[str, Any]:
        return {"session_id": self._session}


def start_recording(log: SessionLog, persona: str, backend: str, model: str, meta: dict[str, Any]) -> LogRecorder:
    """A new session in ``log``, recorded from its first agent (``persona``) on."""
    return LogRecorder(log, log.start_session(persona, backend, model, meta=meta), agent=persona)

