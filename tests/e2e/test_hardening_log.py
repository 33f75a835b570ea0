"""The session log against the real CLI: one token accounting everywhere, written as it happens.

Each test drives ``voicecli talk`` against the built-in emulator in a subprocess, then reads the
log back through ``voicecli logs``, the way a user would.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LAURA_DEMO, LAURA_SCENARIO, voicecli

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TOKENS = re.compile(r"([\d,]+) tokens")

# Sam: a persona whose tools hang (one past its own timeout), so a run can end mid-turn.
SAM = """
persona:
  name: Sam
  role: a test assistant whose lookups hang
  traits: [patient]
  language: en-US

greeting:
  text: Say hello in one short sentence.

rules:
  - title: Fetch the ledger
    kind: loop
    instructions: When the user asks for the ledger, fetch it and report what came back.
    tools: [fetch_ledger]
  - title: Look things up
    kind: loop
    instructions: When the user asks you to look something up, run the lookup and report the result.
    tools: [stuck_index]

tools:
  - name: fetch_ledger
    description: Fetches the ledger from a store that takes ten minutes.
    when: when the user asks for the ledger
    timeout_s: 600
    parameters:
      type: object
      properties:
        year: {type: string, description: Which year.}
      required: [year]
    handler: {python: "sam_tools:fetch_ledger"}
  - name: stuck_index
    description: Looks something up in an index that never answers.
    when: when the user asks you to look something up
    timeout_s: 0.3
    parameters:
      type: object
      properties:
        topic: {type: string, description: What to look up.}
      required: [topic]
    handler: {python: "sam_tools:stuck_index"}
"""

SAM_TOOLS = """
import asyncio


async def fetch_ledger(args):
    await asyncio.sleep(600)
    return {"year": args.get("year")}


async def stuck_index(args):
    await asyncio.sleep(600)
    return {"topic": args.get("topic")}
"""

LEDGER = """
  - user: "Please fetch the books for this year."
    say: "Fetching the ledger for you now."
    tool_calls:
      - name: fetch_ledger
        args: {year: "2024"}
    then: "Here it is."
"""

LOOKUP = """
  - user: "Look up the moon."
    say: "Looking it up."
    tool_calls:
      - name: stuck_index
        args: {topic: moon}
    then: "The index said {{ stuck_index.error.type }}."
"""

STORY = """
  - user: "Tell me a long story."
    say: "Once upon a time a lighthouse keeper counted every ship that passed his rock, and wrote each
      name in a book, and when the book was full he started another, and another, until the shelves
      of the lighthouse held more names than the harbour had ever seen, and still the ships came."
"""

CLOSED = """
  - user: "Fetch the ledger, then hang up."
    say: "Fetching the ledger."
    tool_calls:
      - name: fetch_ledger
        args: {year: "2024"}
    faults:
      - {close: {code: 1007, reason: "invalid argument"}, when: tool_call}
"""


def sam(folder: Path, *steps: str) -> tuple[str, ...]:
    """``--persona`` and ``--scenario`` for Sam: his persona and tools, and a scenario of the given steps
    (after a one-word greeting). His user turns are spoken and recognised."""
    (folder / "sam.yaml").write_text(SAM)
    (folder / "sam_tools.py").write_text(SAM_TOOLS)
    (folder / "sam.scenario.yaml").write_text(
        'name: sam\nsteps:\n  - opening: true\n    say: "Hello."\n' + "".join(steps))
    return "--persona", str(folder / "sam.yaml"), "--scenario", str(folder / "sam.scenario.yaml")


def started(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "voicecli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=dict(os.environ))


def events_until(process: subprocess.Popen[str], done: Any) -> list[dict[str, Any]]:
    """The JSON events ``talk --json`` prints, read until ``done(event)`` holds."""
    assert process.stdout is not None
    seen: list[dict[str, Any]] = []
    for line in process.stdout:
        seen.append(json.loads(line))
        if done(seen[-1]):
            return seen
    raise AssertionError(f"the run ended before the awaited event: {seen[-3:]}")


def logged(session: str = "latest") -> dict[str, Any]:
    shown = voicecli("logs", "show", session, "--json")
    assert shown.code == 0, shown.stderr
    return dict(json.loads(shown.stdout))


def of_type(record: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [entry for entry in record["entries"] if entry["type"] == kind]


def run_at_a_terminal(*args: str, columns: int = 200) -> tuple[int, str, str]:
    """Run the CLI with stdout on a pseudo-terminal (so ``talk`` shows its live view and status line)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "TERMINAL_WIDTH": str(columns)}
    process = subprocess.Popen([sys.executable, "-m", "voicecli", *args], stdin=subprocess.DEVNULL,
                               stdout=slave, stderr=subprocess.PIPE, text=True, env=env)
    os.close(slave)
    screen = bytearray()
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 120)
            assert ready, "the CLI printed nothing for two minutes"
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
    finally:
        os.close(master)
    assert process.stderr is not None
    err = process.stderr.read()
    return process.wait(timeout=30), ANSI.sub("", screen.decode(errors="replace")), ANSI.sub("", err)


def figure(text: str) -> int:
    return int(text.replace(",", ""))


def test_tokens_agree_in_the_json_events_the_summary_and_the_log() -> None:
    run = voicecli("talk", "--offline", "--persona", "laura", "--scenario", str(LAURA_SCENARIO), "--no-recognition",
                   "--speed", "0", "--fast", "--say-file", str(LAURA_DEMO), "--json", "--timeout", "90")
    assert run.code == 0, run.stderr
    (summary,) = run.of_type("summary")
    tokens = summary["tokens"]
    assert tokens["prompt"] + tokens["response"] == tokens["total"]

    usage = run.of_type("usage")
    assert [event["turn"] for event in usage] == list(range(1, 7))  # one report per turn here
    assert usage[-1]["session_tokens"] == tokens
    turns = {event["turn"]: (event["prompt_tokens"], event["response_tokens"], event["total_tokens"])
             for event in usage}
    assert tuple(map(sum, zip(*turns.values(), strict=True))) == (tokens["prompt"], tokens["response"],
                                                                   tokens["total"])

    (listed,) = json.loads(voicecli("logs", "--json").stdout)
    assert listed["id"] == summary["session_id"]
    assert listed["tokens"] == tokens["total"]
    record = logged(summary["session_id"])
    assert record["session"]["tokens"] == tokens["total"]
    assert record["session"]["summary"]["tokens"] == tokens
    assert {entry["turn"]: (entry["prompt_tokens"], entry["response_tokens"], entry["total_tokens"])
            for entry in of_type(record, "usage")} == turns
    shown = voicecli("logs", "show", summary["session_id"]).stdout
    assert f"{tokens['total']:,} tokens" in shown.splitlines()[-2]


def test_the_status_line_shows_the_same_tokens_as_the_summary_and_the_log() -> None:
    code, screen, err = run_at_a_terminal("talk", "--offline", "--persona", "laura", "--scenario",
                                          str(LAURA_SCENARIO), "--no-recognition", "--speed", "0", "--fast",
                                          "--say-file", str(LAURA_DEMO), "--timeout", "90")
    assert code == 0, err
    status_lines = [line for line in screen.splitlines() if "trigger" in line]
    assert status_lines, screen[-2000:]
    shown_last = figure(TOKENS.findall(status_lines[-1])[-1])
    summary_line = next(line for line in err.splitlines() if line.startswith("session "))
    (summed,) = TOKENS.findall(summary_line)
    (listed,) = json.loads(voicecli("logs", "--json").stdout)
    assert shown_last == figure(summed) == listed["tokens"]
    assert listed["tokens"] > 0


def test_logs_show_puts_each_user_line_before_the_tool_call_it_caused() -> None:
    run = voicecli("talk", "--offline", "--persona", "laura", "--scenario", str(LAURA_SCENARIO), "--speed", "0",
                   "--fast", "--say-file", str(LAURA_DEMO), "--json", "--timeout", "90")
    assert run.code == 0, run.stderr
    lines = [line for line in voicecli("logs", "show", "latest").stdout.splitlines() if line.startswith("[")]
    # The user's lines as the emulator recognised them ("Ana" may come out as "Anna").
    said = next(i for i, line in enumerate(lines) if "you:   My name is" in line and "Lopez" in line)
    called = next(i for i, line in enumerate(lines) if "tool create_client_profile" in line)
    assert said < called
    booked = next(i for i, line in enumerate(lines) if "tool schedule_appointment" in line)
    agreed = next(i for i, line in enumerate(lines) if "you:   Yes, that works." in line)
    assert agreed < booked
    # JSON entries come in the same order: by when each began.
    entries = logged()["entries"]
    kinds = [(entry["type"], entry.get("role") or entry.get("name")) for entry in entries]
    assert kinds.index(("transcript", "user")) < kinds.index(("tool_call", "create_client_profile"))
    assert [entry["seq"] for entry in entries] == list(range(1, len(entries) + 1))


def test_sigterm_ends_talk_as_ctrl_c_does_and_the_turn_in_progress_is_logged(tmp_path: Path) -> None:
    process = started("talk", "--offline", *sam(tmp_path, LEDGER), "--speed", "0", "--fast",
                      "--say", "Please fetch the books for this year.", "--json")
    seen = events_until(process, lambda event: event["type"] == "tool_call")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "Traceback" not in err
    (summary,) = [event for event in map(json.loads, out.splitlines()) if event["type"] == "summary"]
    assert summary["outcome"] == "interrupted"

    record = logged()
    assert record["session"]["outcome"] == "interrupted"
    lines = [(entry["role"], entry["text"]) for entry in of_type(record, "transcript")]
    assert [role for role, _ in lines] == ["agent", "user", "agent"]
    assert (lines[0][1], lines[2][1]) == ("Hello.", "Fetching the ledger for you now.")
    assert "books for this year" in lines[1][1]  # as recognised ("the" may come out as "my")
    (call,) = of_type(record, "tool_call")
    assert (call["call_id"], call["name"], call["status"]) == (seen[-1]["id"], "fetch_ledger", "cancelled")
    assert [entry["detail"] for entry in of_type(record, "event") if entry["kind"] == "signal"] == [
        {"signal": "SIGTERM"}]
    order = [entry["type"] for entry in record["entries"]]
    assert order.index("tool_call") > max(i for i, kind in enumerate(order) if kind == "transcript")


def test_ctrl_c_mid_reply_keeps_the_partial_reply_and_what_was_heard(tmp_path: Path) -> None:
    reply = tmp_path / "reply.wav"
    process = started("talk", "--offline", *sam(tmp_path, STORY), "--fast",
                      "--say", "Tell me a long story.", "--output", str(reply), "--json")
    events_until(process, lambda event: event["type"] == "transcript" and event["role"] == "agent"
                 and event["text"].startswith("Once"))
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err

    record = logged()
    assert record["session"]["outcome"] == "interrupted"
    user, story = of_type(record, "transcript")[1:]
    assert (user["role"], user["text"], user["turn"]) == ("user", "Tell me a long story.", 2)
    assert (story["role"], story["turn"], story["interrupted"]) == ("agent", 2, True)
    told = " ".join(STORY.split('say: "')[1].split()).rstrip('"')
    assert story["text"].startswith("Once")
    assert told.startswith(story["text"]) and story["text"] != told  # cut short, as it was
    assert story["heard_text"]
    assert story["text"].startswith(story["heard_text"])


def test_a_tool_timeout_is_logged_as_one_after_the_line_that_asked_for_it(tmp_path: Path) -> None:
    run = voicecli("talk", "--offline", *sam(tmp_path, LOOKUP), "--speed", "0", "--fast",
                   "--say", "Look up the moon.", "--json", "--timeout", "60")
    assert run.code == 7, run.stderr  # a tool failed during a scripted run
    record = logged()
    assert record["session"]["outcome"] == "ToolFailure"
    entries = [(entry["type"], entry.get("text") or entry.get("status")) for entry in record["entries"]
               if entry["type"] in {"transcript", "tool_call"}]
    assert entries == [
        ("transcript", "Hello."),
        ("transcript", "Look up the moon."),
        ("transcript", "Looking it up. The index said timeout."),
        ("tool_call", "timeout"),
    ]


def test_a_dropped_connection_that_ends_the_run_leaves_the_turn_in_the_log(tmp_path: Path) -> None:
    run = voicecli("talk", "--offline", *sam(tmp_path, CLOSED), "--speed", "0", "--fast",
                   "--say", "Fetch the ledger, then hang up.", "--json", "--timeout", "60")
    (error,) = run.of_type("error")
    assert run.code == error["exit_code"] != 0, run.stderr
    (call,) = run.of_type("tool_call")

    record = logged()
    assert record["session"]["outcome"] not in {None, "completed", "interrupted"}
    hello, heard, fetching = (entry["text"] for entry in of_type(record, "transcript"))
    assert (hello, fetching) == ("Hello.", "Fetching the ledger.")
    assert "ledger" in heard and "hang up" in heard  # as recognised ("then" may come out as "and")
    (logged_call,) = of_type(record, "tool_call")
    assert (logged_call["call_id"], logged_call["status"]) == (call["id"], "cancelled")
