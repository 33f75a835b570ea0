from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.store.conftest import STARTED
from voicecli.cli import main
from voicecli.errors import UsageError
from voicecli.store import SessionLog, default_log_path
from voicecli.ui.logs_view import format_started, render_sessions

main._register_commands()
runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(main.app, list(args))


def run_voicecli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """The console-script path: errors rendered once, exit codes as the user sees them."""
    monkeypatch.setattr(sys, "argv", ["voicecli", *args])
    with pytest.raises(SystemExit) as exited:
        main.run()
    return int(exited.value.code or 0)


@pytest.fixture
def recorded(log_path: Path, record: Any) -> str:
    with SessionLog.open(log_path) as log:
        return str(record(log))


def test_an_empty_log_is_friendly_and_not_created(log_path: Path) -> None:
    result = invoke("logs", "--log-db", str(log_path))
    assert result.exit_code == 0, result.output
    assert "No sessions yet" in result.output
    assert not log_path.exists()


def test_an_empty_log_as_json_is_an_empty_list(log_path: Path) -> None:
    result = invoke("logs", "--json", "--log-db", str(log_path))
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_the_list_shows_each_session(log_path: Path, recorded: str) -> None:
    """Piped (as here), one whole session a line, tab-separated under a header."""
    result = invoke("logs", "--log-db", str(log_path))
    assert result.exit_code == 0, result.output
    header, row = result.output.splitlines()
    assert header.split("\t") == ["id", "started", "persona", "backend", "model", "turns", "tools", "tokens",
                                  "duration_s", "outcome"]
    cells = row.split("\t")
    assert cells[0] == recorded
    assert cells[1] == format_started(STARTED)
    assert cells[2:] == ["laura", "offline", "gemini-live-test", "2", "1", "2700", "75.0", "completed"]


@pytest.mark.parametrize("width", [80, 120])
def test_the_list_at_a_terminal_keeps_every_column_whole(log_path: Path, record: Any, width: int) -> None:
    with SessionLog.open(log_path) as log:
        session_id = record(log)
        log.end_session(session_id, outcome="ConversationTimeout", summary={})  # the longest outcome
        sessions = log.list_sessions()
    console = Console(width=width, color_system=None, highlight=False)
    with console.capture() as captured:
        render_sessions(console, sessions)
    header, row, second = captured.get().splitlines()
    assert all(len(line) <= width for line in (header, row, second))
    assert header.split()[0] == "id" and header.split()[-1] == "outcome"
    assert row.split()[0] == session_id and row.split()[-1] == "ConversationTimeout"
    assert "2,700" in row.split()
    assert "offline/gemini-live-test" in second
    # What does not fit beside the figures moves under them, never out of sight.
    assert "laura" in (row if width == 120 else second)


def test_the_list_as_json(log_path: Path, recorded: str) -> None:
    result = invoke("logs", "--json", "--log-db", str(log_path))
    assert result.exit_code == 0
    (session,) = json.loads(result.stdout)
    assert session["id"] == recorded
    assert (session["turns"], session["tools"], session["tokens"], session["duration"]) == (2, 1, 2700, 75.0)
    assert session["outcome"] == "completed"


def test_limit_keeps_the_newest(log_path: Path, record: Any) -> None:
    with SessionLog.open(log_path) as log:
        ids = [record(log, started=1_760_000_000.0 + day * 86_400) for day in range(3)]
    result = invoke("logs", "--limit", "2", "--json", "--log-db", str(log_path))
    assert [session["id"] for session in json.loads(result.stdout)] == [ids[2], ids[1]]


def test_the_default_log_is_read_without_log_db(record: Any) -> None:
    with SessionLog.open() as log:
        session_id = record(log)
    result = invoke("logs")
    assert result.exit_code == 0
    assert session_id in result.output
    assert default_log_path().exists()


def test_show_replays_the_conversation(log_path: Path, recorded: str) -> None:
    result = invoke("logs", "show", recorded, "--log-db", str(log_path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"session {recorded}"
    assert "laura on offline/gemini-live-test" in lines[1]
    body = [line for line in lines if line.startswith("[")]
    assert body == [
        "[00:01] agent: Hello, I'm Laura.",
        "[00:05] you:   Book me in on Monday.",
        '[00:06] tool book_appointment({"day": "monday"}) done in 0.25s',
        "[00:07] agent: You are booked for Monday [interrupted]",
        "[00:08] usage: 1,200 prompt + 80 response = 1,280 tokens",
        '[00:09] reconnect {"reason": "goAway"}',
        "[00:10] usage: 1,400 prompt + 20 response = 1,420 tokens",
    ]
    assert '        -> {"booked": true}' in lines
    assert "        (full reply: You are booked for Monday at ten, and also)" in lines
    assert "2 turns, 1 tool call, 2,700 tokens, 1 reconnect" in lines


def test_show_as_json_by_prefix_with_options_before_show(log_path: Path, recorded: str) -> None:
    result = invoke("logs", "--json", "--log-db", str(log_path), "show", recorded[:10])
    assert result.exit_code == 0, result.output
    replay = json.loads(result.stdout)
    assert replay["session"]["id"] == recorded
    assert replay["session"]["meta"] == {"vad": "server"}
    assert [entry["type"] for entry in replay["entries"]] == [
        "transcript", "transcript", "tool_call", "transcript", "usage", "event", "usage",
    ]
    assert replay["entries"][3]["heard_text"] == "You are booked for Monday"


def test_show_latest(log_path: Path, recorded: str) -> None:
    result = invoke("logs", "show", "latest", "--json", "--log-db", str(log_path))
    assert json.loads(result.stdout)["session"]["id"] == recorded


def test_an_unknown_id_is_a_usage_error(log_path: Path, recorded: str) -> None:
    result = invoke("logs", "show", "1999", "--log-db", str(log_path))
    assert isinstance(result.exception, UsageError)
    assert "no session matches '1999'" in result.exception.message


def test_an_unknown_id_exits_2_with_one_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], log_path: Path, recorded: str
) -> None:
    assert run_voicecli(monkeypatch, "logs", "show", "1999", "--log-db", str(log_path)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "error: no session matches '1999'" in captured.err
    assert "Traceback" not in captured.err


def test_show_on_a_missing_log_exits_2(monkeypatch: pytest.MonkeyPatch, log_path: Path) -> None:
    assert run_voicecli(monkeypatch, "logs", "show", "abc", "--log-db", str(log_path)) == 2
    assert not log_path.exists()


def test_an_ambiguous_prefix_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], log_path: Path, record: Any
) -> None:
    with SessionLog.open(log_path) as log:
        first, _ = record(log), record(log)
    assert run_voicecli(monkeypatch, "logs", "show", first[:8], "--log-db", str(log_path)) == 2
    assert "ambiguous" in capsys.readouterr().err


def test_a_bad_limit_or_a_directory_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert run_voicecli(monkeypatch, "logs", "--limit", "0") == 2
    assert run_voicecli(monkeypatch, "logs", "--log-db", str(tmp_path)) == 2


def test_a_corrupt_log_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    assert run_voicecli(monkeypatch, "logs", "--log-db", str(junk)) == 8  # a storage error
    err = capsys.readouterr().err
    assert "cannot open the session log" in err
    assert "Traceback" not in err


def test_the_command_module_imports_neither_sqlite_nor_rich() -> None:
    code = (
        "import sys, voicecli.cli.logs_cmd; "
        "print(sorted(m for m in ('sqlite3', 'rich', 'voicecli.store') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_unfinished_session_and_markup_in_text_show_as_they_are(log_path: Path) -> None:
    with SessionLog.open(log_path) as log:
        session_id = log.start_session("laura", "gemini", "m", started_at=1_760_000_000.0)
        log.add_transcript(session_id, "user", "say [bold]this[/bold] literally", turn=1,
                           at=1_760_000_002.0)
    listed = invoke("logs", "--log-db", str(log_path))
    assert listed.output.splitlines()[1].split("\t")[2:] == ["laura", "gemini", "m", "1", "0", "0", "",
                                                            "unfinished"]
    shown = invoke("logs", "show", session_id, "--log-db", str(log_path))
    assert "[00:02] you:   say [bold]this[/bold] literally" in shown.output.splitlines()
