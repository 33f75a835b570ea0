"""``voicecli logs``: list recorded sessions; ``show ID`` replays one, ``play ID`` plays its recording,
``export ID`` writes its transcript as Markdown or JSON.

SQLite and Rich are imported inside the commands so ``voicecli --help`` stays quick.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from voicecli.cli.main import app
from voicecli.errors import UsageError

if TYPE_CHECKING:
    from voicecli.store import SessionLog
    from voicecli.store.records import SessionRecord

_OPTIONS_KEY = "voicecli.logs"

logs_app = typer.Typer(
    name="logs",
    help="List recorded conversations; replay one with `logs show ID`, hear it with `logs play ID`, "
         "write it out with `logs export ID`.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(logs_app)

LimitOption = Annotated[int, typer.Option("--limit", "-n", help="How many sessions to list, newest first.")]
SessionArgument = Annotated[str, typer.Argument(help="A session id, a unique prefix of one, or `latest`.",
                                                show_default=False)]


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
LogDbOption = Annotated[
    Path | None,
    typer.Option("--log-db", help="The session log to read (default: sessions.sqlite3 in the data dir).",
                 show_default=False),
]


@logs_app.callback()
def logs(ctx: typer.Context, limit: LimitOption = 50, as_json: JsonOption = False,
         log_db: LogDbOption = None) -> None:
    """List recorded sessions: id, start, persona, backend/model, turns, tools, tokens, duration, outcome.

    Piped, the list is tab-separated: a header, then one whole session a line.
    """
    if ctx.invoked_subcommand is not None:
        ctx.meta[_OPTIONS_KEY] = {"json": as_json, "log_db": log_db}  # `logs --json show ID` works too
        return
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, not {limit}")
    path = _log_path(log_db)
    log = _open_existing(path)
    if log is None:
        sessions = []
    else:
        with log:
            sessions = log.list_sessions(limit)
    if as_json:
        _print_json([summary.to_dict() for summary in sessions])
        return
    from voicecli.ui.logs_view import render_no_sessions, render_sessions, stdout_console, write_sessions_tsv

    console = stdout_console()
    if not sessions:
        render_no_sessions(console, path)
    elif console.is_terminal:
        render_sessions(console, sessions)
    else:
        write_sessions_tsv(sys.stdout, sessions)


@logs_app.command("show")
def show(
    ctx: typer.Context,
    session_id: SessionArgument,
    as_json: JsonOption = False,
    log_db: LogDbOption = None,
) -> None:
    """Replay one session: transcript, interruptions, tool calls, usage and reconnects, in order."""
    inherited: dict[str, Any] = ctx.meta.get(_OPTIONS_KEY, {})
    as_json = as_json or bool(inherited.get("json"))
    record, _ = _record(ctx, session_id, log_db)
    if as_json:
        _print_json(record.to_dict())
        return
    from voicecli.ui.logs_view import render_session, stdout_console

    render_session(stdout_console(), record)


@logs_app.command("play")
def play(
    ctx: typer.Context,
    session_id: SessionArgument,
    output_device: Annotated[str | None, typer.Option("--output-device", "-o",
                                                      help="Speaker name or index (see `voicecli devices`).",
                                                      show_default=False)] = None,
    log_db: LogDbOption = None,
) -> None:
    """Play a session's recording (`talk --record`), the transcript scrolling in step."""
    import asyncio

    from voicecli.recording_player import play as play_recording
    from voicecli.ui.logs_view import names_agents, print_entry, stdout_console

    record, path = _record(ctx, session_id, log_db)
    wav, started_at = _recording_of(record, path)
    console = stdout_console()
    timeline = [(entry.at - started_at, entry) for entry in record.entries]
    console.print(f"playing {wav} ({record.summary.persona}, session {record.id})", style="dim")
    named = names_agents(record.entries)
    asyncio.run(play_recording(wav, timeline,
                               lambda entry: print_entry(console, entry, started_at, named_agents=named),
                               device=output_device))


@logs_app.command("export")
def export(
    ctx: typer.Context,
    session_id: SessionArgument,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md (Markdown) or json.")] = "md",
    output: Annotated[Path | None, typer.Option("--output", help="Write to this file instead of stdout.",
                                                show_default=False)] = None,
    log_db: LogDbOption = None,
) -> None:
    """Write a session's transcript, with tool calls, interruptions and handoffs, as Markdown or JSON."""
    from voicecli.transcript_export import export as render

    if fmt not in {"md", "json"}:
        raise UsageError(f"--format must be md or json, not {fmt!r}")
    record, _ = _record(ctx, session_id, log_db)
    text = render(record, "md" if fmt == "md" else "json")
    if output is None:
        sys.stdout.write(text)
        return
    from voicecli.paths import storage_errors

    with storage_errors(output, "the exported transcript", hint="choose another --output path"):
        output.write_text(text, encoding="utf-8")


def _record(ctx: typer.Context, session_id: str, log_db: Path | None) -> tuple[SessionRecord, Path]:
    inherited: dict[str, Any] = ctx.meta.get(_OPTIONS_KEY, {})
    path = _log_path(log_db if log_db is not None else inherited.get("log_db"))
    log = _open_existing(path)
    record = None
    if log is not None:
        with log:
            record = log.session(session_id)
    if record is None:
        raise UsageError(f"no session matches {session_id!r} in {path}",
                         hint="run `voicecli logs` to list sessions")
    return record, path


def _recording_of(record: SessionRecord, log_path: Path) -> tuple[Path, float]:
    """The session's recording and the wall-clock time its first sample was captured."""
    from voicecli.recording import recording_path
    from voicecli.store.records import EventEntry

    for entry in record.entries:
        if isinstance(entry, EventEntry) and entry.kind == "recording":
            wav = log_path.parent / "recordings" / str(entry.detail.get("file", ""))
            started_at = float(entry.detail.get("started_at", record.summary.started_at))
            break
    else:
        wav, started_at = recording_path(log_path, record.id), record.summary.started_at
    if not wav.is_file():
        raise UsageError(f"session {record.id} has no recording ({wav} does not exist)",
                         hint="record a conversation with `voicecli talk --record`")
    return wav, started_at


def _log_path(log_db: Path | None) -> Path:
    from voicecli.store import default_log_path

    if log_db is None:
        return default_log_path()
    path = log_db.expanduser()
    if path.is_dir():
        raise UsageError(f"--log-db {path} is a directory", hint="give the path of a .sqlite3 file")
    return path


def _open_existing(path: Path) -> SessionLog | None:
    """The log at ``path``, or None when there is none yet (reading never creates one)."""
    if not path.exists():
        return None
    from voicecli.store import SessionLog

    return SessionLog.open(path)


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")
