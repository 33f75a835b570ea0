"""`voicecli logs export`: a logged conversation as Markdown or JSON, with tool calls and interruptions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.store.conftest import _record_conversation
from voicecli.cli import main
from voicecli.store import SessionLog

main._register_commands()
runner = CliRunner()
SECRET = "AIza" + "Q" * 35  # what a key in the environment looks like to the exporter


def logged(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "sessions.sqlite3"
    with SessionLog.open(path) as log:
        session_id = _record_conversation(log)
    return path, session_id


def invoke(*args: str) -> Any:
    return runner.invoke(main.app, list(args), env={"GEMINI_API_KEY": SECRET})


def exit_code(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """The console-script path: errors rendered once, exit codes as the user sees them."""
    monkeypatch.setattr(sys, "argv", ["voicecli", *args])
    with pytest.raises(SystemExit) as exited:
        main.run()
    return int(exited.value.code or 0)


def test_markdown_has_the_transcript_in_order_with_tools_and_what_was_heard(tmp_path: Path) -> None:
    path, session_id = logged(tmp_path)
    result = invoke("logs", "export", session_id, "--log-db", str(path))
    assert result.exit_code == 0, result.output
    text = result.output
    order = [text.index(part) for part in (
        "**laura** (00:01.0): Hello, I'm Laura.",
        "**User** (00:05.0): Book me in on Monday.",
        '`book_appointment({"day": "monday"})` -> `{"booked": true}` (done, 0.25 s)',
        "**laura** (00:07.0): You are booked for Monday *[interrupted]*",
        "> Full reply, not heard: You are booked for Monday at ten, and also",
        "*Reconnect* (00:09.0)",
    )]
    assert order == sorted(order)
    assert "usage" not in text.lower()
    assert SECRET not in text


def test_json_is_a_document_a_program_can_read(tmp_path: Path) -> None:
    path, session_id = logged(tmp_path)
    result = invoke("logs", "export", session_id, "--format", "json", "--log-db", str(path))
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["session"]["id"] == session_id
    assert document["session"]["persona"] == "laura"
    kinds = [item["type"] for item in document["transcript"]]
    assert kinds == ["line", "line", "tool_call", "line", "reconnect"]
    cut = document["transcript"][3]
    assert cut["interrupted"] is True and cut["heard_text"] == "You are booked for Monday"
    assert document["transcript"][2]["args"] == {"day": "monday"}
    assert document["transcript"][0]["at_s"] == 1.0
    assert SECRET not in result.output


def test_export_to_a_file_and_to_a_place_that_cannot_be_written(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path, session_id = logged(tmp_path)
    target = tmp_path / "out.md"
    assert invoke("logs", "export", "latest", "--output", str(target), "--log-db", str(path)).exit_code == 0
    assert target.read_text().startswith(f"# laura: session {session_id}")
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    code = exit_code(monkeypatch, "logs", "export", session_id, "--output", str(blocked / "x.md"),
                     "--log-db", str(path))
    assert code == 8  # StorageError


def test_a_bad_format_or_an_unknown_session_is_a_usage_error(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path, session_id = logged(tmp_path)
    assert exit_code(monkeypatch, "logs", "export", session_id, "--format", "pdf", "--log-db", str(path)) == 2
    assert exit_code(monkeypatch, "logs", "export", "nope", "--log-db", str(path)) == 2


def test_play_without_a_recording_says_how_to_make_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    path, session_id = logged(tmp_path)
    assert exit_code(monkeypatch, "logs", "play", session_id, "--log-db", str(path)) == 2
    err = capsys.readouterr().err
    assert "has no recording" in err and "talk --record" in err
    assert "Traceback" not in err


def test_after_a_handoff_each_line_names_its_agent(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    with SessionLog.open(path) as log:
        session_id = log.start_session("Sam", "offline", "gemini-3.8-live", started_at=1000.0)
        log.add_transcript(session_id, "agent", "Front desk, this is Sam.", turn=0, agent="Sam", at=1001.0)
        log.add_transcript(session_id, "user", "I need career coaching.", turn=1, agent="Sam", at=1003.0)
        log.add_event(session_id, "handoff", {"from": "Sam", "to": "Laura", "reason": "coaching", "facts": {}},
                      agent="Sam", at=1004.0)
        log.add_transcript(session_id, "agent", "Hi, I'm Laura.", turn=2, agent="Laura", at=1005.0)
        log.end_session(session_id, outcome="completed", summary={}, ended_at=1010.0)
    shown = invoke("logs", "show", session_id, "--log-db", str(path)).output
    assert "Sam: Front desk, this is Sam." in shown and "Laura: Hi, I'm Laura." in shown
    markdown = invoke("logs", "export", session_id, "--log-db", str(path)).output
    assert "**Sam** (00:01.0)" in markdown and "**Laura** (00:05.0)" in markdown
    assert "*Handoff* (00:04.0): Sam -> Laura" in markdown
    lines = json.loads(invoke("logs", "export", session_id, "-f", "json", "--log-db", str(path)).output)
    assert [item.get("agent") for item in lines["transcript"] if item["type"] == "line"] == ["Sam", None, "Laura"]
