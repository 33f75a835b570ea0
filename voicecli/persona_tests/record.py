"""One run's event stream (docs/events.md) read into turns, calls and transcript lines the checks work on.

Agent turns end at ``turn_complete``; each belongs to the user turn under way when it began (0 is
the greeting). User turns begin at the ``script_turn`` events a scripted run emits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Exit codes a finished run may end with: 0, or 7 when a tool failed (the conversation still ran to its end).
FINISHED_EXIT_CODES = frozenset({0, 7})
TIMEOUT_EXIT_CODE = 5


@dataclass
class Line:
    """One transcript line, as the report shows it."""

    role: str  # user, agent, tool, note
    text: str


@dataclass
class ToolCall:
    call_id: str
    name: str
    args: Any
    user_turn: int
    agent_turn: int
    line: int  # index into RunRecord.lines
    ok: bool | None = None  # None: no result (cancelled, or the run ended first)
    result: Any = None

    def error_text(self) -> str:
        """What the failure said: ``type: message``, or the code and message a handler returned."""
        error = self.result.get("error") if isinstance(self.result, dict) else None
        if not isinstance(error, dict):
            return "no result" if self.ok is None else "failed"
        kind = error.get("code") or error.get("type") or "error"
        return f"{kind}: {error.get('message', '')}".rstrip(": ")


@dataclass
class AgentTurn:
    number: int  # 1-based, as turn_complete counts
    user_turn: int
    text: str = ""
    line: int | None = None  # the line the latest words are on
    drawn: int = 0  # characters of text shown on earlier lines
    latency_ms: float | None = None
    interrupted: bool = False
    calls: list[ToolCall] = field(default_factory=list)


@dataclass
class UserTurn:
    number: int
    label: str
    text: str = ""
    line: int | None = None
    cut_off: AgentTurn | None = None  # the agent turn under way when this turn began


@dataclass
class RunRecord:
    events: list[dict[str, Any]]
    agent_turns: list[AgentTurn] = field(default_factory=list)
    user_turns: list[UserTurn] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    exit_code: int | None = None

    @property
    def started(self) -> bool:
        """Did a conversation begin (a session was opened)? If not, the error says everything."""
        return any(event.get("type") == "session" for event in self.events)

    @property
    def finished(self) -> bool:
        return self.exit_code in FINISHED_EXIT_CODES

    @property
    def latencies_ms(self) -> list[float]:
        return [turn.latency_ms for turn in self.agent_turns if turn.latency_ms is not None]

    @property
    def duration_s(self) -> float | None:
        value = self.summary.get("duration_s")
        return float(value) if isinstance(value, int | float) else None

    def replies_to(self, user_turn: int) -> list[AgentTurn]:
        return [turn for turn in self.agent_turns if turn.user_turn == user_turn]

    def calls_for(self, user_turn: int) -> list[ToolCall]:
        return [call for call in self.calls if call.user_turn == user_turn]


def read_events(events: list[dict[str, Any]], exit_code: int | None) -> RunRecord:
    """Fold the events of one run into a RunRecord."""
    reader = _Reader(RunRecord(events=events, exit_code=exit_code))
    for event in events:
        reader.take(event)
    reader.close()
    return reader.record


class _Reader:
    def __init__(self, record: RunRecord) -> None:
        self.record = record
        self.user_turn = 0
        self.open: AgentTurn | None = None
        self.calls: dict[str, ToolCall] = {}

    def take(self, event: dict[str, Any]) -> None:
        handler = getattr(self, f"_on_{event.get('type')}", None)
        if handler is not None:
            handler(event)

    def close(self) -> None:
        if self.open is not None and (self.open.text or self.open.calls):
            self.record.agent_turns.append(self.open)  # cut by the end of the run: still what was said
        self.open = None

    def _line(self, role: str, text: str) -> int:
        self.record.lines.append(Line(role, text))
        return len(self.record.lines) - 1

    def _agent(self) -> AgentTurn:
        if self.open is None:
            self.open = AgentTurn(number=len(self.record.agent_turns) + 1, user_turn=self.user_turn)
        return self.open

    def _on_script_turn(self, event: dict[str, Any]) -> None:
        self.user_turn = int(event.get("turn", self.user_turn + 1))
        turn = UserTurn(self.user_turn, str(event.get("label", "")))
        if self.open is not None and (self.open.text or self.open.calls):
            turn.cut_off = self.open
        self.record.user_turns.append(turn)
        # What the script says, until (and unless) the service's transcription of it arrives.
        turn.line = self._line("user", turn.label)

    def _on_transcript(self, event: dict[str, Any]) -> None:
        text = str(event.get("text", ""))
        if event.get("role") == "user":
            turn = self.record.user_turns[-1] if self.record.user_turns else None
            if turn is None or turn.number != self.user_turn:
                return  # speech outside the script (a live microphone): not part of a checked turn
            turn.text = text
            if turn.line is not None:
                self.record.lines[turn.line].text = text
            return
        agent = self._agent()
        previous, agent.text = agent.text, text
        if agent.line != len(self.record.lines) - 1:
            # Something was drawn below the agent's words (a tool call): what follows goes on a new line.
            agent.drawn = len(previous) if agent.line is not None else 0
            agent.line = self._line("agent", "")
        self.record.lines[agent.line].text = text[agent.drawn:].strip()

    def _on_tool_call(self, event: dict[str, Any]) -> None:
        agent = self._agent()
        name = str(event.get("name", ""))
        call = ToolCall(str(event.get("id", "")), name, event.get("args"), self.user_turn, agent.number,
                        self._line("tool", f"{name}({_args_text(event.get('args'))})"))
        agent.calls.append(call)
        self.record.calls.append(call)
        self.calls[call.call_id] = call

    def _on_tool_result(self, event: dict[str, Any]) -> None:
        call = self.calls.get(str(event.get("id", "")))
        if call is None:
            return
        call.ok = bool(event.get("ok"))
        call.result = event.get("result")
        outcome = "ok" if call.ok else f"failed: {call.error_text()}"
        self._line("tool", f"{call.name} -> {outcome}")

    def _on_interrupted(self, event: dict[str, Any]) -> None:
        agent = self._agent()
        agent.interrupted = True
        self._line("note", f"interrupted; the user heard: {event.get('heard_text') or '(nothing)'}")

    def _on_turn_complete(self, event: dict[str, Any]) -> None:
        agent = self._agent()
        latency = event.get("latency_ms")
        agent.latency_ms = float(latency) if isinstance(latency, int | float) else None
        self.record.agent_turns.append(agent)
        self.open = None

    def _on_notice(self, event: dict[str, Any]) -> None:
        text = str(event.get("text", ""))
        # Notes about the offline emulator itself (what it can recognise) are not part of the conversation.
        if event.get("level") in {"warning", "error"} and not text.startswith("emulator:"):
            self._line("note", text)

    def _on_error(self, event: dict[str, Any]) -> None:
        self.record.error = str(event.get("message", ""))
        self._line("note", f"error: {self.record.error}")

    def _on_summary(self, event: dict[str, Any]) -> None:
        self.record.summary = event


def _args_text(args: Any) -> str:
    if not isinstance(args, dict):
        return repr(args)
    return ", ".join(f"{key}={value!r}" for key, value in args.items())
