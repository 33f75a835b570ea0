"""Rich rendering of the session log: the list of sessions and one session replayed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from voicecli.store.records import (
    EventEntry,
    LogEntry,
    SessionRecord,
    SessionSummary,
    ToolCallEntry,
    TranscriptEntry,
    UsageEntry,
)


def stdout_console() -> Console:
    console = Console(highlight=False)
    console.soft_wrap = not console.is_terminal  # piped: long lines stay whole, never folded at 80
    return console


def format_started(at: float, *, seconds: bool = True) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M", time.localtime(at))


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def _outcome(summary: SessionSummary) -> str:
    return summary.outcome if summary.outcome is not None else "unfinished"


def render_no_sessions(console: Console, path: Path) -> None:
    console.print(Text(f"No sessions yet (log: {path}).", style="dim"))
    console.print(Text("Run `voicecli talk --offline` to record one.", style="dim"))


TSV_COLUMNS = ("id", "started", "persona", "backend", "model", "turns", "tools", "tokens", "duration_s",
               "outcome")


def write_sessions_tsv(stream: TextIO, sessions: list[SessionSummary]) -> None:
    """For pipes: a header, then one session a line, tab-separated, every field whole.

    Numbers are plain (no thousands separators), the duration is in seconds (empty while
    unfinished), the start is local time.
    """
    stream.write("\t".join(TSV_COLUMNS) + "\n")
    for summary in sessions:
        duration = summary.duration
        cells = (
            summary.id, format_started(summary.started_at), summary.persona, summary.backend, summary.model,
            str(summary.turns), str(summary.tools), str(summary.tokens),
            "" if duration is None else f"{duration:.1f}", _outcome(summary),
        )
        stream.write("\t".join(" ".join(cell.split()) for cell in cells) + "\n")


_HEADERS = ("id", "started", "persona", "turns", "tools", "tokens", "duration", "outcome")
_RIGHT_ALIGNED = frozenset({"turns", "tools", "tokens", "duration"})
# The narrow layout drops these columns from the first line and says them on the second.
_MOVED_WHEN_NARROW = ("started", "persona")


def render_sessions(console: Console, sessions: list[SessionSummary]) -> None:
    """One aligned line of figures per session, what it ran on in a second line.

    Model names are long; on their own line they never squeeze the figures. When the figures
    do not fit the terminal, the start time and the persona move to the second line too, so
    every column, the outcome last, is whole at 80 columns. Nothing is ever cut short.
    """
    rows = [_row(summary) for summary in sessions]
    headers: tuple[str, ...] = _HEADERS
    lines = _aligned(headers, rows)
    narrow = max(len(line) for line in lines) > console.width
    if narrow:
        headers = tuple(name for name in _HEADERS if name not in _MOVED_WHEN_NARROW)
        lines = _aligned(headers, [{name: row[name] for name in headers} for row in rows])
    indent = len(rows[0]["id"]) + 2
    console.print(Text(lines[0], style="bold"), overflow="fold")
    for summary, line in zip(sessions, lines[1:], strict=True):
        console.print(Text(line), overflow="fold")
        ran_on = f"{summary.backend}/{summary.model}"
        if narrow:
            ran_on = f"{summary.persona}, started {format_started(summary.started_at, seconds=False)}, {ran_on}"
        # Padded rather than prefixed with spaces, so a long second line wraps under itself.
        console.print(Padding(Text(ran_on, style="dim", overflow="fold"), (0, 0, 0, indent), expand=False))


def _row(summary: SessionSummary) -> dict[str, str]:
    return {
        "id": summary.id,
        "started": format_started(summary.started_at, seconds=False),
        "persona": summary.persona,
        "turns": str(summary.turns),
        "tools": str(summary.tools),
        "tokens": f"{summary.tokens:,}",
        "duration": format_duration(summary.duration),
        "outcome": _outcome(summary),
    }


def _aligned(headers: tuple[str, ...], rows: list[dict[str, str]]) -> list[str]:
    """The header line and one line per row, columns padded to a common width."""
    table = [dict(zip(headers, headers, strict=True)), *rows]
    widths = {name: max(len(row[name]) for row in table) for name in headers}
    return [
        "  ".join(row[name].rjust(widths[name]) if name in _RIGHT_ALIGNED else row[name].ljust(widths[name])
                  for name in headers).rstrip()
        for row in table
    ]


def render_session(console: Console, record: SessionRecord) -> None:
    summary = record.summary
    console.print(Text.assemble(("session ", "bold"), (summary.id, "bold cyan")))
    console.print(
        Text(
            f"{summary.persona} on {summary.backend}/{summary.model}, "
            f"started {format_started(summary.started_at)}, "
            f"{format_duration(summary.duration)}, {_outcome(summary)}",
            style="dim",
        )
    )
    console.print()
    named = names_agents(record.entries)
    for entry in record.entries:
        console.print(_entry_line(entry, summary.started_at, named_agents=named))
    console.print()
    console.print(
        Text(
            f"{_count(summary.turns, 'turn')}, {_count(summary.tools, 'tool call')}, "
            f"{_count(summary.tokens, 'token')}, {_count(summary.reconnects, 'reconnect')}",
            style="bold",
        )
    )
    if record.result:
        console.print(Text(f"summary: {_compact(record.result)}", style="dim"))


def print_entry(console: Console, entry: LogEntry, started_at: float, *, named_agents: bool = False) -> None:
    """One entry as `logs show` prints it (`logs play` calls it as playback reaches the entry)."""
    console.print(_entry_line(entry, started_at, named_agents=named_agents))


def names_agents(entries: list[LogEntry]) -> bool:
    """Whether more than one agent spoke (a handoff): then each agent line carries its agent's name."""
    return len({entry.agent for entry in entries if isinstance(entry, TranscriptEntry) and entry.agent}) > 1


def _entry_line(entry: LogEntry, started_at: float, *, named_agents: bool = False) -> Text:
    offset = max(0.0, entry.at - started_at)
    minutes, seconds = divmod(int(offset), 60)
    line = Text(f"[{minutes:02d}:{seconds:02d}] ", style="dim")
    if isinstance(entry, TranscriptEntry):
        line.append_text(_transcript(entry, named_agents=named_agents))
    elif isinstance(entry, ToolCallEntry):
        line.append(f"tool {entry.name}", style="bold magenta")
        line.append(f"({_compact(entry.args)}) ")
        line.append_text(_tool_status(entry))
        if entry.response is not None:
            line.append(f"\n        -> {_compact(entry.response)}", style="dim")
    elif isinstance(entry, UsageEntry):
        turn = "" if entry.turn is None else f", turn {entry.turn}"
        line.append(
            f"usage{turn}: {entry.prompt_tokens:,} prompt + {entry.response_tokens:,} response "
            f"= {entry.total_tokens:,} tokens",
            style="dim",
        )
    elif isinstance(entry, EventEntry):
        line.append(entry.kind, style="yellow")
        if entry.detail:
            line.append(f" {_compact(entry.detail)}", style="yellow")
    return line


def _tool_status(entry: ToolCallEntry) -> Text:
    if entry.status == "running":
        return Text("running", style="yellow")  # under way, or the process died while it ran
    if entry.status == "cancelled":
        return Text(f"cancelled after {entry.seconds:.2f}s", style="yellow")
    return Text(f"{entry.status} in {entry.seconds:.2f}s", style="green" if entry.ok else "red")


def _transcript(entry: TranscriptEntry, *, named_agents: bool = False) -> Text:
    if entry.role == "user":
        speaker = Text("you:   ", style="bold blue")
    else:
        name = entry.agent if named_agents and entry.agent else "agent"
        speaker = Text(f"{name}: ", style="bold green")
    if not entry.interrupted:
        return Text.assemble(speaker, entry.text)
    heard = entry.heard_text if entry.heard_text is not None else entry.text
    text = Text.assemble(speaker, heard or ("(nothing heard)", "dim"), (" [interrupted]", "bold red"))
    if heard != entry.text:
        text.append(f"\n        (full reply: {entry.text})", style="dim")
    return text


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
