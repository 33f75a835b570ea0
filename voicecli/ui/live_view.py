"""What the user sees during a conversation: a Rich live view, plain lines, or JSON events.

Every view takes the conversation's events through ``handle`` and never blocks (the shape
``voicecli.talk.ViewLike`` asks for).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from voicecli import events as ev


@dataclass
class StatusLine:
    backend: str
    model: str
    connection: str = "connecting"
    activity: str = "idle"
    mic_dbfs: float | None = None
    total_tokens: int = 0
    trigger_tokens: int = 0
    latency_s: float | None = None
    handle_since: float | None = None  # monotonic time the newest resumable handle arrived

    def render(self) -> str:
        parts = [f"{self.backend} · {self.model}", self.connection, self.activity]
        if self.mic_dbfs is not None:
            parts.append(f"mic {self.mic_dbfs:5.1f} dBFS")
        tokens = f"{self.total_tokens:,} tokens"
        if self.trigger_tokens:
            tokens += f" / {self.trigger_tokens:,} trigger"
        parts.append(tokens)
        if self.latency_s is not None:
            parts.append(f"last reply {self.latency_s * 1000:.0f} ms")
        if self.handle_since is not None:
            parts.append(f"handle {time.monotonic() - self.handle_since:.0f} s old")
        return "  |  ".join(parts)


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
        case ev.Usage(prompt, response, total):
            return {"type": "usage", "prompt_tokens": prompt, "response_tokens": response,
                    "total_tokens": total}
        case ev.ConnectionState(state, detail):
            return {"type": "state", "connection": state, "detail": detail}
        case ev.UserActivity(speaking):
            return {"type": "activity", "speaking": speaking}
        case ev.GoAwayNotice(time_left_s):
            return {"type": "go_away", "time_left_s": time_left_s}
        case ev.Notice(text, level):
            return {"type": "notice", "level": level, "text": text}
        case dict():
            return event  # already-shaped records: session start, summary, error
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


class PlainView:
    """Finished lines only, for a stdout that is not a terminal."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False, soft_wrap=True)
        self._pending: dict[str, str] = {}

    def start(self) -> None:
        return None

    def handle(self, event: object) -> None:
        match event:
            case ev.Transcript(role, text, _):
                self._pending[role] = text
            case ev.Interrupted(_, heard_text):
                self._pending["agent"] = f"{heard_text} [interrupted]"
            case ev.TurnComplete():
                self._print_pending("user", "agent")
            case ev.ToolCallEvent(_, name, args):
                self._print_pending("user")  # what the user said comes before what it set off
                self.console.print(f"tool {name} {json.dumps(args, ensure_ascii=False)}", markup=False)
            case ev.ToolResultEvent(_, name, result, ok, _):
                mark = "ok" if ok else "failed"
                self.console.print(f"tool {name} {mark}: {json.dumps(result, ensure_ascii=False)}", markup=False)
            case ev.Notice(text, _):
                self.console.print(f"note: {text}", markup=False)

    def stop(self) -> None:
        self._print_pending("user", "agent")

    def _print_pending(self, *roles: str) -> None:
        for role in roles:
            text = self._pending.pop(role, "")
            if text:
                self.console.print(f"{role}: {text}", markup=False)


@dataclass
class _Line:
    role: str
    text: str
    style: str = ""


@dataclass
class RichLiveView:
    """Transcript with partial text updating in place, tool calls, and a status line."""

    status: StatusLine
    console: Console = field(default_factory=Console)
    max_lines: int = 14
    _lines: list[_Line] = field(default_factory=list)
    _open: dict[str, _Line] = field(default_factory=dict)
    _live: Live | None = None

    def start(self) -> None:
        # get_renderable: redrawn on every refresh, so the handle's age keeps counting.
        self._live = Live(console=self.console, refresh_per_second=8, transient=False,
                          get_renderable=self._render)
        self._live.start()

    def stop(self) -> None:
        if self._live is not None:
            self._live.refresh()
            self._live.stop()

    def handle(self, event: object) -> None:
        match event:
            case ev.Transcript(role, text, _):
                line = self._open.get(role)
                if line is None:
                    line = self._open[role] = _Line(role, text)
                    self._lines.append(line)
                line.text = text
            case ev.Interrupted(_, heard_text):
                line = self._open.get("agent")
                if line is not None:
                    line.text = f"{heard_text} ⟂ interrupted"
                    line.style = "yellow"
            case ev.TurnComplete(_, latency_s):
                self._open.clear()
                if latency_s is not None:
                    self.status.latency_s = latency_s
            case ev.ToolCallEvent(_, name, args):
                self._lines.append(_Line("tool", f"{name}({json.dumps(args, ensure_ascii=False)})", "cyan"))
            case ev.ToolResultEvent(_, name, result, ok, seconds):
                self._lines.append(_Line("tool", f"{name} -> {json.dumps(result, ensure_ascii=False)} "
                                         f"({seconds * 1000:.0f} ms)", "green" if ok else "red"))
            case ev.Notice(text, level):
                self._lines.append(_Line("note", text, "red" if level == "error" else "yellow"))
            case ev.ConnectionState(state, detail):
                self.status.connection = state if not detail else f"{state} ({detail})"
            case ev.UserActivity(speaking):
                self.status.activity = "user speaking" if speaking else "idle"
            case ev.MicLevel(dbfs):
                self.status.mic_dbfs = dbfs
            case ev.Usage(_, _, total):
                self.status.total_tokens = total
            case ev.ResumptionUpdate(handle, resumable, _) if handle and resumable:
                self.status.handle_since = time.monotonic()
        # No redraw here: Live redraws from _render on its own clock, off the event loop.

    def _render(self) -> Group:
        rows = []
        for line in self._lines[-self.max_lines :]:
            label = {"user": "[bold blue]you[/]", "agent": "[bold magenta]agent[/]", "tool": "[cyan]tool[/]",
                     "note": "[yellow]note[/]"}[line.role]
            text = escape(line.text)
            rows.append(Text.from_markup(f"{label}  {f'[{line.style}]{text}[/]' if line.style else text}"))
        rows.append(Text(self.status.render(), style="dim"))
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
