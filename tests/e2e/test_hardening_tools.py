"""A hung Python tool never keeps ``talk`` alive: its timeout abandons it, and one Ctrl-C ends any run.

Each test runs the real CLI in a subprocess against the built-in emulator, with Hank's tools
(``fixtures/hang_tools.py``): handlers that never return, or return after minutes, or block
inside ``async def``. The waits below are hang guards, far longer than a healthy run needs;
they are not timing assertions.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import scripted_offline, voicecli

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FIXTURES = Path(__file__).parent / "fixtures"
HANK = FIXTURES / "hang.yaml"
HANG_GUARD_S = 20  # a healthy process is long gone by then; a hung one is killed and the test fails
LINES = ["Look up the moon.", "Write the report.", "Get me the ledger."]


def _talk_argv(lines: list[str], *extra: str) -> list[str]:
    says = [arg for line in lines for arg in ("--say", line)]
    return [sys.executable, "-m", "voicecli", "talk", *scripted_offline(HANK), "--speed", "0", "--fast", *says,
            "--json", *extra]


def _events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def test_a_tool_that_never_returns_times_out_and_the_process_exits() -> None:
    """--timeout set, the tool's own timeout fires: the run ends (exit 7) instead of waiting for ever."""
    run = voicecli("talk", *scripted_offline(HANK), "--speed", "0", "--fast", "--say", LINES[0], "--json",
                   "--timeout", "60", timeout=HANG_GUARD_S)
    assert run.code == 7, run.stderr  # a tool failed: the run says so, and ends
    result = run.of_type("tool_result")
    assert [r["name"] for r in result] == ["stuck_lookup"]
    assert result[0]["result"]["error"]["type"] == "timeout"
    agent_lines = [t["text"] for t in run.of_type("transcript") if t["role"] == "agent"]
    assert any("The lookup said timeout." in line for line in agent_lines)
    assert run.of_type("summary")
    assert "Traceback" not in run.stderr


def _interrupt_during(tool: str, stall: str, lines: list[str]) -> tuple[int, str, str]:
    """Start a run, send one SIGINT while ``tool`` is running, and return (exit code, stdout, stderr)."""
    process = subprocess.Popen(_talk_argv(lines), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "HANK_STALL": f"{tool}={stall}"})
    assert process.stdout is not None
    seen: list[str] = []
    try:
        for line in process.stdout:  # wait until the tool is running
            seen.append(line)
            if '"tool_call"' in line and f'"{tool}"' in line:
                break
        else:
            raise AssertionError("the tool was never called:\n" + "".join(seen))
        process.send_signal(signal.SIGINT)  # once
        out, err = process.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"one Ctrl-C did not end the run while {tool} stalled ({stall}):\n{err}") from None
    return process.returncode, "".join(seen) + out, err


@pytest.mark.parametrize("stall", ["sleep", "forever", "spin"])
def test_one_ctrl_c_ends_the_run_while_a_sync_tool_runs(stall: str) -> None:
    code, out, err = _interrupt_during("write_report", stall, LINES[:2])
    assert code == 130, err
    summaries = [event for event in _events(out) if event["type"] == "summary"]
    assert len(summaries) == 1 and summaries[0]["outcome"] == "interrupted"
    assert "Traceback" not in err
    answered = [event["name"] for event in _events(out) if event["type"] == "tool_result"]
    assert "write_report" not in answered, "the call was abandoned, never answered"


@pytest.mark.parametrize("stall", ["sleep", "forever"])
def test_one_ctrl_c_ends_the_run_while_an_async_tool_blocks(stall: str) -> None:
    """An ``async def`` handler that blocks stalls only the handlers' loop, never the conversation's."""
    code, out, err = _interrupt_during("fetch_ledger", stall, LINES)
    assert code == 130, err
    summaries = [event for event in _events(out) if event["type"] == "summary"]
    assert len(summaries) == 1 and summaries[0]["outcome"] == "interrupted"
    assert "Traceback" not in err


def test_ctrl_c_prints_the_summary_without_json_too() -> None:
    """The rendered view: the transcript on stdout, then one summary line on stderr."""
    argv = [arg for arg in _talk_argv(LINES[:2]) if arg != "--json"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "HANK_STALL": "write_report=forever"})
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if line.startswith("tool write_report"):
                break
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError("one Ctrl-C did not end the run:\n" + err) from None
    assert process.returncode == 130, err
    assert err.startswith("session ") and "2 turns" in err, err
    assert "Traceback" not in err
