"""What the user sees during a conversation: a Rich live view, plain lines, or JSON events.

Every view takes the conversation's events through ``handle`` and never blocks (the shape
``voicecli.talk.ViewLike`` asks for).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from rich.cells import cell_len, set_cell_size
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from voicecli import events as ev
from voicecli.terminal.keys import LineEdited, LineTyped, TalkEnd, TalkStart
from voicecli.usage import UsageTally


@dataclass
class StatusLine:
    backend: str
    model: str
    connection: str = "connecting"
    activity: str = "idle"
    mic_dbfs: float | None = None
    total_tokens: int = 0  # the session's tokens, as in the summary and the log (voicecli.usage)
    context_tokens: int = 0  # what the model read and wrote in the latest turn, against the trigger
    trigger_tokens: int = 0
    latency_s: float | None = None
    handle_since: float | None = None  # monotonic time the newest resumable handle arrived
    agent: str | None = None  # who answers, in conversations that may pass between agents
    mode: str | None = None  # how the user talks, when not just the microphone: "text", "ptt: space"...
    typing: str | None = None  # the line being typed, not yet sent

    def render(self, width: int | None = None) -> str:
        """The status on one line; to fit ``width`` columns the least important fields go first."""
        fields = self._fields()
        while len(fields) > 1 and width is not None and cell_len(_SEPARATOR.join(t for _, t in fields)) > width:
            fields.remove(max(fields, key=lambda item: item[0]))
        line = _SEPARATOR.join(text for _, text in fields)
        if width is not None and cell_len(line) > width:
            line = set_cell_size(line, max(0, width - 1)) + "…"
        return line

    def _fields(self) -> list[tuple[int, str]]:
        """(rank, text) in display order; rank 0 is the last field to go when space runs out."""
        fields = [(_RANK_MODEL, f"{self.backend} · {self.model}"), (_RANK_CONNECTION, self.connection)]
        if self.agent and self.agent not in self.activity:
            fields.append((_RANK_AGENT, self.agent))
        fields.append((_RANK_ACTIVITY, self.activity))
        if self.typing:
            fields.append((_RANK_TYPING, f"> {self.typing}"))
        if self.mode:
            fields.append((_RANK_MODE, self.mode))
        if self.mic_dbfs is not None:
            fields.append((_RANK_MIC, f"mic {self.mic_dbfs:5.1f} dBFS"))
        tokens = f"{self.total_tokens:,} tokens"
        if self.trigger_tokens:
            tokens += f" (context {self.context_tokens:,} / {self.trigger_tokens:,} trigger)"
        fields.append((_RANK_TOKENS, tokens))
        if self.latency_s is not None:
            fields.append((_RANK_LATENCY, f"last reply {self.latency_s * 1000:.0f} ms"))
        if self.handle_since is not None:
            fields.append((_RANK_HANDLE, f"handle {time.monotonic() - self.handle_since:.0f} s old"))
        return fields


_SEPARATOR = "  |  "
# What the user needs most while talking comes first: is it connected, who is speaking, what they are
# typing, does the mic hear them; then how full the context is, how fast replies come, what is fixed anyway.
(_RANK_CONNECTION, _RANK_ACTIVITY, _RANK_TYPING, _RANK_AGENT, _RANK_MODE, _RANK_MIC, _RANK_TOKENS, _RANK_LATENCY,
 _RANK_MODEL, _RANK_HANDLE) = range(10)


def event_to_json(event: object) -> dict[str, Any] | None:
    """The JSON-lines form of an event (documented in docs/events.md); None for internal events."""
    match event:
        case ev.Transcript(role, text, final):
            return {"type": "transcript", "role": role, "text": text, "final": final}
        case ev.ToolCallEvent(call_id, name, args):
            return {"type": "tool_call", "id": call_id, "name": name, "args": args}
        case ev.ToolResultEvent(call_id, name, result, ok, seconds):
            return {"type": "tool_result", "id": call_id, "name": name, "ok": ok, "result": result,
                    "seconds": round(seconds, 4)}
        case ev.Interrupted(heard_seconds, heard_text):
            return {"type": "interrupted", "heard_seconds": round(heard_seconds, 3), "heard_text": heard_text}
        case ev.TurnComplete(turn, latency_s):
            return {"type": "turn_complete", "turn": turn,
                    "latency_ms": None if latency_s is None else round(latency_s * 1000, 1)}
        case UsageTally(turn, tokens, session):
            return {"type": "usage", "turn": turn, "prompt_tokens": tokens.prompt,
                    "response_tokens": tokens.response, "total_tokens": tokens.total,
                    "session_tokens": session.as_dict()}
        case ev.ConnectionState(state, detail):
            return {"type": "state", "connection": state, "detail": detail}
        case ev.UserActivity(speaking):
            return {"type": "activity", "speaking": speaking}
        case ev.GoAwayNotice(time_left_s):
            return {"type": "go_away", "time_left_s": time_left_s}
        case ev.Notice(text, level):
            return {"type": "notice", "level": level, "text": text}
        case ev.Handoff(from_agent, to_agent, reason):
            return {"type": "handoff", "from_agent": from_agent, "to_agent": to_agent, "reason": reason}
        case ev.AgentChanged(name):
            return {"type": "agent", "name": name}
        case ev.Stall(stage, recovered):
            return {"type": "stall", "stage": stage, "recovered": recovered}
        case ev.LanguageDrift(expected, detected):
            return {"type": "language_drift", "expected": expected, "detected": detected}
        case ev.HeardNote(text):
            return {"type": "heard_note", "text": text}
        case LineTyped(text):
            return {"type": "transcript", "role": "user", "text": text, "final": True, "typed": True}
        case TalkStart():
            return {"type": "push_to_talk", "talking": True}
        case TalkEnd(how):
            return {"type": "push_to_talk", "talking": False, "how": how}
        case ev.Grounding(sources, queries):
            return {"type": "grounding", "sources": [_source(source) for source in sources],
                    "queries": list(queries)}
        case dict():
            return event  # already-shaped records: session start, summary, error
    return None


def _source(source: object) -> dict[str, str]:
    """A grounding source as {"title", "uri"}, whether it came as a mapping or an object."""
    if isinstance(source, dict):
        return {"title": str(source.get("title") or ""), "uri": str(source.get("uri") or "")}
    return {"title": str(getattr(source, "title", "") or ""), "uri": str(getattr(source, "uri", "") or "")}


def source_lines(event: ev.Grounding) -> list[str]:
    """A grounding event's sources, one line each, as shown under the agent's line."""
    lines = []
    for source in (_source(item) for item in event.sources):
        title, uri = source["title"], source["uri"]
        lines.append(f"{title} <{uri}>" if title and uri else title or uri)
    return [line for line in lines if line]


def note_text(event: object) -> str | None:
    """The one-line note a view shows for a handoff or a guard's event; None for other events."""
    match event:
        case ev.Handoff(from_agent, to_agent, reason):
            return f"{from_agent} handed over to {to_agent}" + (f": {reason}" if reason else "")
        case ev.Stall(stage, True):
            return f"the agent is answering again (after: {stage.replace('_', ' ')})"
        case ev.Stall("gave_up", False):
            return "the agent is not answering; say something or type a line to try again"
        case ev.Stall(stage, False):
            return f"no answer from the agent; trying: {stage.replace('_', ' ')}"
        case ev.LanguageDrift(expected, detected):
            return f"the agent answered in {detected}, not {expected}; it was reminded of its language"
        case ev.HeardNote(text):
            return f"told the agent what you heard: {text}"
    return None


class JsonLinesView:
    """One JSON object per line on stdout, for shell scripts."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def start(self) -> None:
        return None

    def handle(self, event: object) -> None:
        record = event_to_json(event)
        if record is None:
            return
        record.setdefault("t", round(time.time(), 3))
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.stream.flush()

    def stop(self) -> None:
        return None


class QuietView:
    def start(self) -> None:
        return None

    def handle(self, event: object) -> None:
        return None

    def stop(self) -> None:
        return None


class _TurnText:
    """One turn's transcript per role, and how much of it is already drawn above a tool or note line.

    Transcripts arrive as the whole turn's text so far. When a tool or note line is drawn, what was
    said up to then stays above it and only the words after it go below: lines appear in order.
    """

    def __init__(self) -> None:
        self.full: dict[str, str] = {}
        self._drawn: dict[str, str] = {}

    def rest(self, role: str, text: str | None = None) -> str:
        """What of ``text`` (default: the role's text) is not drawn yet."""
        text = self.full.get(role, "") if text is None else text
        drawn = self._drawn.get(role, "")
        if text.startswith(drawn):
            return text[len(drawn):].strip()
        return "" if drawn.startswith(text) else text.strip()

    def close(self, role: str) -> None:
        self._drawn[role] = self.full.get(role, "")

    def restart(self, role: str) -> None:
        """The role's text starts over (a reply cut and answered again)."""
        self.full.pop(role, None)
        self._drawn.pop(role, None)

    def clear(self) -> None:
        self.full.clear()
        self._drawn.clear()


class PlainView:
    """Finished lines only, for a stdout that is not a terminal."""

    def __init__(self, console: Console | None = None, *, named_agents: bool = False) -> None:
        self.console = console or Console(highlight=False, soft_wrap=True)
        self._turn = _TurnText()
        self.named_agents = named_agents  # label the agent's lines with its name (conversations with handoffs)
        self._agent = "agent"
        self._sources: list[str] = []  # grounding sources, printed under the agent's line

    def start(self) -> None:
        return None

    def handle(self, event: object) -> None:
        match event:
            case ev.Transcript(role, text, _):
                self._turn.full[role] = text
            case ev.Interrupted(_, heard_text):
                self._print_pending(heard=heard_text)  # the cut reply is finished
                self._turn.restart("agent")  # one said again starts afresh
            case ev.TurnComplete():
                self._print_pending()
                self._turn.clear()
            case ev.ToolCallEvent(_, name, args):
                self._print_pending()  # what was said comes before what it set off
                self.console.print(f"tool {name} {json.dumps(args, ensure_ascii=False)}", markup=False)
            case ev.ToolResultEvent(_, name, result, ok, _):
                self._print_pending()
                mark = "ok" if ok else "failed"
                self.console.print(f"tool {name} {mark}: {json.dumps(result, ensure_ascii=False)}", markup=False)
            case ev.Notice(text, _):
                self._print_pending()
                self.console.print(f"note: {text}", markup=False)
            case ev.AgentChanged(name):
                self._print_pending()
                self._agent = name
            case LineTyped(text):
                self._print_pending()
                self.console.print(f"user (typed): {text}", markup=False)
            case ev.Grounding():
                self._sources.extend(source_lines(event))
            case _:
                note = note_text(event)
                if note is not None:
                    self._print_pending()
                    label = "handoff" if isinstance(event, ev.Handoff) else "note"
                    self.console.print(f"{label}: {note}", markup=False)

    def stop(self) -> None:
        self._print_pending()

    def _print_pending(self, *, heard: str | None = None) -> None:
        """Print what was said and not printed yet; ``heard``: the agent's reply was cut there."""
        for role in ("user", "agent"):
            if role == "agent" and heard is not None:
                text = f"{self._turn.rest(role, heard)} [interrupted]".strip()
            else:
                text = self._turn.rest(role)
            if text:
                label = self._agent if role == "agent" and self.named_agents else role
                self.console.print(f"{label}: {text}", markup=False)
            self._turn.close(role)
        for source in self._sources:
            self.console.print(f"  source: {source}", markup=False)
        self._sources.clear()


@dataclass
class _Line:
    role: str
    text: str
    style: str = ""
    label: str | None = None  # instead of the role's label: the agent's name
    sources: list[str] = field(default_factory=list)  # grounding sources, drawn under the line


REFRESH_INTERVAL_S = 0.1
"""Redraws come at most this often (10 Hz), and only when what is shown changed."""
IDLE_REFRESH_S = 1.0
"""With nothing happening, the handle's age is the only thing that moves: once a second."""


@dataclass
class RichLiveView:
    """Transcript with partial text updating in place, tool calls, and a status line.

    Redrawn on the event loop, at most every REFRESH_INTERVAL_S after an event and only when the text
    on screen would change: no drawing thread, and nothing drawn while nothing changes.
    """

    status: StatusLine
    console: Console = field(default_factory=Console)
    max_lines: int = 14
    _lines: list[_Line] = field(default_factory=list)
    _open: dict[str, _Line] = field(default_factory=dict)
    _turn: _TurnText = field(default_factory=_TurnText)
    _live: Live | None = None
    _timer: asyncio.TimerHandle | None = None
    _shown: object = None
    redraws: int = 0
    named_agents: bool = False  # label the agent's lines with its name (conversations with handoffs)
    _agent: str = "agent"  # who is answering (from ev.AgentChanged)

    def start(self) -> None:
        self._live = Live(console=self.console, auto_refresh=False, transient=False, get_renderable=self.render)
        self._live.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._live is not None:
            self._live.refresh()
            self._live.stop()

    def _schedule(self, delay: float = REFRESH_INTERVAL_S) -> None:
        if self._live is None or self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (before or after the conversation): draw now
            self._redraw()
            return
        self._timer = loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._redraw()
        if self.status.handle_since is not None:
            self._schedule(IDLE_REFRESH_S)

    def _redraw(self) -> None:
        """Refresh the display if the text it would show changed since the last refresh."""
        if self._live is None:
            return
        shown = (tuple((line.role, line.text, line.style, line.label, len(line.sources))
                       for line in self._lines[-self.max_lines:]),
                 self.status.render(self.console.width))
        if shown != self._shown:
            self._shown = shown
            self.redraws += 1
            self._live.refresh()

    def handle(self, event: object) -> None:
        match event:
            case ev.Transcript(role, text, _):
                self._turn.full[role] = text
                rest = self._turn.rest(role)
                line = self._open.get(role)
                if line is None and rest:
                    label = self.status.agent if role == "agent" and self.named_agents else None
                    line = self._open[role] = _Line(role, rest, label=label)
                    self._lines.append(line)
                elif line is not None:
                    line.text = rest
                if role == "agent":
                    self.status.activity = f"{self._agent} speaking"
            case ev.Interrupted(_, heard_text):
                line = self._open.pop("agent", None)
                if line is not None:
                    line.text = f"{self._turn.rest('agent', heard_text)} ⟂ interrupted".strip()
                    line.style = "yellow"
                self._turn.restart("agent")  # a repeated reply gets a line of its own
            case ev.TurnComplete(_, latency_s):
                self._open.clear()
                self._turn.clear()
                if latency_s is not None:
                    self.status.latency_s = latency_s
                if self.status.activity.endswith(" speaking") and self.status.activity != "user speaking":
                    self.status.activity = "idle"
            case ev.ToolCallEvent(_, name, args):
                self._add(_Line("tool", f"{name}({json.dumps(args, ensure_ascii=False)})", "cyan"))
            case ev.ToolResultEvent(_, name, result, ok, seconds):
                self._add(_Line("tool", f"{name} -> {json.dumps(result, ensure_ascii=False)} "
                                f"({seconds * 1000:.0f} ms)", "green" if ok else "red"))
            case ev.Notice(text, level):
                self._add(_Line("note", text, "red" if level == "error" else "yellow"))
            case ev.ConnectionState(state, detail):
                self.status.connection = state if not detail else f"{state} ({detail})"
            case ev.UserActivity(speaking):
                self.status.activity = "user speaking" if speaking else "idle"
            case ev.AgentChanged(name):
                self._agent = name
                if self.named_agents:
                    self.status.agent = name
            case LineEdited(text):
                self.status.typing = text or None
            case LineTyped(text):
                self.status.typing = None
                self._add(_Line("user", text, "italic"))
                self._lines[-1].text += "  (typed)"
            case TalkStart():
                self.status.activity = "talking (push-to-talk)"
            case TalkEnd():
                self.status.activity = "idle"
            case ev.Grounding():
                agents = [line for line in self._lines if line.role == "agent"]
                if agents:
                    agents[-1].sources.extend(source_lines(event))
            case _ if note_text(event) is not None:
                style = "magenta" if isinstance(event, ev.Handoff) else "dim" if isinstance(event, ev.HeardNote) \
                    else "yellow"
                self._add(_Line("handoff" if isinstance(event, ev.Handoff) else "note", note_text(event) or "",
                                style))
            case ev.MicLevel(dbfs):
                self.status.mic_dbfs = dbfs
            case UsageTally(_, tokens, session):
                self.status.total_tokens = session.total
                self.status.context_tokens = tokens.total
            case ev.ResumptionUpdate(handle, resumable, _) if handle and resumable:
                self.status.handle_since = time.monotonic()
        self._schedule()  # drawn at most REFRESH_INTERVAL_S later, if anything on screen changed

    def _add(self, line: _Line) -> None:
        """Draw a tool or note line below the transcript so far; later words start new lines under it."""
        for role in list(self._open):
            self._turn.close(role)
        self._open.clear()
        self._lines.append(line)

    def render(self) -> Group:
        """What the live display shows now: the latest lines, then the status line."""
        rows = []
        for line in self._lines[-self.max_lines :]:
            label = {"user": "[bold blue]you[/]", "agent": "[bold magenta]agent[/]", "tool": "[cyan]tool[/]",
                     "note": "[yellow]note[/]", "handoff": "[magenta]handoff[/]"}[line.role]
            if line.label:
                label = f"[bold magenta]{escape(line.label)}[/]"
            text = escape(line.text)
            rows.append(Text.from_markup(f"{label}  {f'[{line.style}]{text}[/]' if line.style else text}"))
            rows.extend(Text(f"  source  {source}", style="dim") for source in line.sources)
        # The status stays one line: a wrapped status would push the transcript up on every redraw.
        status = self.status.render(self.console.width)
        rows.append(Text(status, style="dim", no_wrap=True, overflow="ellipsis"))
        return Group(*rows)


def render_summary(summary: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console(stderr=True, highlight=False)
    tokens = summary.get("tokens", {})
    console.print(
        f"[bold]session[/] {summary.get('session_id', '-')}: {summary['duration_s']:.1f} s, "
        f"{summary['turns']} turns, {summary['tools_run']} tools run"
        f"{' (' + str(summary['tool_failures']) + ' failed)' if summary.get('tool_failures') else ''}, "
        f"{tokens.get('total', 0):,} tokens, {summary['reconnects']} reconnects, "
        f"{summary['interruptions']} interruptions"
    )
