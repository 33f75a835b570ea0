"""Rich rendering of the session log: the list of sessions and one session replayed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
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
    return Console(highlight=False)


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


def render_sessions(console: Console, sessions: list[SessionSummary]) -> None:
    """One aligned line of figures per session, its backend/model on a second line.

    Model names are long; on their own line they never squeeze the figures into a fold.
    """
    headers = ("id", "started", "persona", "turns", "tools", "tokens", "duration", "outcome")
    rows = [
        (
            summary.id,
            format_started(summary.started_at, seconds=False),
            summary.persona,
            str(summary.turns),
            str(summary.tools),
            f"{summary.tokens:,}",
            format_duration(summary.duration),
            _outcome(summary),
        )
        for summary in sessions
    ]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    right_aligned = {3, 4, 5, 6}

    def line(cells: tuple[str, ...]) -> str:
        padded = (
            cell.rjust(width) if index in right_aligned else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded).rstrip()

    indent = " " * (widths[0] + 2)
    console.print(Text(line(headers), style="bold"), no_wrap=True, overflow="ellipsis")
    for summary, row in zip(sessions, rows, strict=True):
        console.print(Text(line(row)), no_wrap=True, overflow="ellipsis")
        console.print(Text(f"{indent}{summary.backend}/{summary.model}", style="dim"), overflow="fold")


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
    for entry in record.entries:
        console.print(_entry_line(entry, summary.started_at))
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


def _entry_line(entry: LogEntry, started_at: float) -> Text:
    offset = max(0.0, entry.at - started_at)
    minutes, seconds = divmod(int(offset), 60)
    line = Text(f"[{minutes:02d}:{seconds:02d}] ", style="dim")
    if isinstance(entry, TranscriptEntry):
        line.append_text(_transcript(entry))
    elif isinstance(entry, ToolCallEntry):
        style = "green" if entry.ok else "red"
        line.append(f"tool {entry.name}", style="bold magenta")
        line.append(f"({_compact(entry.args)}) ")
        line.append(f"{entry.status} in {entry.seconds:.2f}s", style=style)
        if entry.response is not None:
            line.append(f"\n        -> {_compact(entry.response)}", style="dim")
    elif isinstance(entry, UsageEntry):
        line.append(
            f"usage: {entry.prompt_tokens:,} prompt + {entry.response_tokens:,} response "
            f"= {entry.total_tokens:,} tokens",
            style="dim",
        )
    elif isinstance(entry, EventEntry):
        line.append(entry.kind, style="yellow")
        if entry.detail:
            line.append(f" {_compact(entry.detail)}", style="yellow")
    return line


def _transcript(entry: TranscriptEntry) -> Text:
    speaker = Text("you:   ", style="bold blue") if entry.role == "user" else Text("agent: ", style="bold green")
    if not entry.interrupted:
        return Text.assemble(speaker, entry.text)
    heard = entry.heard_text if entry.heard_text is not None else entry.text
    text = Text.assemble(speaker, heard, (" [interrupted]", "bold red"))
    if heard != entry.text:
        text.append(f"\n        (full reply: {entry.text})", style="dim")
    return text


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
