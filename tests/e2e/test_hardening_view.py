"""What the user sees, end to end: the live view in a terminal, and Laura's agent (scripted, or the generic brain).

The live view runs in a pseudo-terminal 100 columns wide while the virtual microphone plays speech
at -27 dBFS (server-side detection); a small terminal model replays the output to get the screen.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.conftest import LAURA_DEMO, LAURA_SCENARIO, REPO, Run, voicecli

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

COLUMNS = 100
MIC_FEED_RATE = 48_000
SPEECH_DBFS = -27.0
FIXTURES = Path(__file__).parent / "fixtures"
_CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b[()][A-Za-z0-9]|\x1b[=>78]|\r|\n|[^\x1b\r\n]+")
_PARTIAL_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*|[()])?$")


class Screen:
    """Enough of a terminal to replay Rich's live display: text, CR/LF, cursor moves, line erases."""

    def __init__(self) -> None:
        self.rows: list[str] = [""]
        self.row = self.col = 0
        self._pending = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, data: bytes) -> None:
        text = self._pending + self._decoder.decode(data)
        partial = _PARTIAL_ESCAPE.search(text)
        self._pending, text = (text[partial.start():], text[: partial.start()]) if partial else ("", text)
        for match in _CSI.finditer(text):
            self._apply(match)

    def _apply(self, match: re.Match[str]) -> None:
        token, (params, command) = match.group(0), match.group(1, 2)
        if command is not None:
            count = int(params) if params.isdigit() else 1
            if command == "A":
                self.row = max(0, self.row - count)
            elif command == "B":
                self._move_to(self.row + count)
            elif command == "G":
                self.col = count - 1
            elif command == "K":
                line = self.rows[self.row]
                self.rows[self.row] = "" if params == "2" else line[: self.col]
        elif token == "\r":
            self.col = 0
        elif token == "\n":
            self._move_to(self.row + 1)
            self.col = 0
        elif not token.startswith("\x1b"):
            line = self.rows[self.row].ljust(self.col)
            self.rows[self.row] = line[: self.col] + token + line[self.col + len(token):]
            self.col += len(token)

    def _move_to(self, row: int) -> None:
        self.row = row
        while len(self.rows) <= row:
            self.rows.append("")

    @property
    def text_rows(self) -> list[str]:
        return [row.rstrip() for row in self.rows if row.strip()]


def speech_at(line: str, level_dbfs: float, rate: int) -> bytes:
    from voicecli.speech.tts import synthesize

    samples = np.frombuffer(synthesize(line, rate=rate), np.int16).astype(np.float64)
    rms = float(np.sqrt(np.mean(np.square(samples))))
    scaled = samples * (32768.0 * 10 ** (level_dbfs / 20) / rms)
    return bytes(np.clip(scaled, -32768, 32767).astype(np.int16).tobytes())


class TerminalRun:
    """``voicecli ARGS`` with stdout on a pseudo-terminal of COLUMNS columns, replayed into a Screen."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.screen = Screen()
        self.saw_speaking = threading.Event()
        self.connected = threading.Event()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, COLUMNS, 0, 0))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voicecli", *args], stdin=subprocess.DEVNULL, stdout=slave,
            stderr=subprocess.PIPE, text=True,
            env={**os.environ, **env, "COLUMNS": str(COLUMNS), "TERM": "xterm", "NO_COLOR": "1"})
        os.close(slave)
        self._master = master
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            self.screen.feed(data)
            rows = self.screen.text_rows
            if any("user speaking" in row for row in rows):
                self.saw_speaking.set()
            if any(row.startswith("connected") or "|  connected  |" in row for row in rows):
                self.connected.set()
        os.close(self._master)

    def finish(self, timeout: float) -> tuple[int, str]:
        _, stderr = self.process.communicate(timeout=timeout)
        self._reader.join(timeout=10)
        return self.process.returncode, stderr


@pytest.mark.audio
def test_the_live_view_shows_the_user_speaking_on_one_status_line_with_tools_in_order(
        virtual_audio: dict[str, str]) -> None:
    speech = speech_at((LAURA_DEMO.read_text().splitlines())[0], SPEECH_DBFS, MIC_FEED_RATE)
    run = TerminalRun("talk", "--offline", "--persona", "laura", "--scenario", str(LAURA_SCENARIO), "--no-greeting",
                      "--max-turns", "1", "--speed", "0", "--timeout", "90", env=virtual_audio)
    try:
        assert run.connected.wait(60), run.screen.text_rows
        subprocess.run(["pacat", "-d", "micfeed", "--raw", "--format=s16le", f"--rate={MIC_FEED_RATE}",
                        "--channels=1"], input=speech, check=True, env={**os.environ, **virtual_audio})
        code, stderr = run.finish(timeout=120)
    finally:
        if run.process.poll() is None:
            run.process.kill()
    assert code == 0, stderr
    assert run.saw_speaking.is_set(), "the status line never said the user was speaking"

    rows = run.screen.text_rows
    status = [row for row in rows if "tokens" in row]
    assert len(status) == 1, rows
    assert len(status[0]) <= COLUMNS and status[0].startswith("connected  |  "), status  # one line, no wrap

    def first(prefix: str) -> int:
        return next(index for index, row in enumerate(rows) if row.startswith(prefix))

    # The user's words as recognised from the microphone ("Ana" may come out as "Anna").
    assert first("you  My name is") < first("agent  Thank you, Ana. Let me set up your profile.") \
        < first("tool  create_client_profile(") < first("tool  create_client_profile -> ") \
        < first("agent  Your profile is ready.") < rows.index(status[0])


def plain_lines(run: Run) -> list[str]:
    return [line for line in run.stdout.splitlines() if line.startswith(("user:", "agent:", "tool ", "note:"))]


def test_the_demo_reads_in_order_and_fetches_slots_only_after_finding_none(tmp_path: Path) -> None:
    """What `make demo` prints (no scenario: the generic brain, from recognised speech): each tool line
    between the sentences around it."""
    run = voicecli("talk", "--offline", "--persona", "laura", "--say-file", str(LAURA_DEMO), "--fast",
                   "--speed", "0", "--output", str(tmp_path / "x.wav"), "--timeout", "90")
    assert run.code == 0, run.stderr
    lines = plain_lines(run)

    def at(prefix: str, after: int = -1) -> int:
        return next(index for index, line in enumerate(lines) if line.startswith(prefix) and index > after)

    asked = at("user: Yes, let's schedule", after=at("tool add_action_items_to_profile ok:"))
    assert asked < at("agent: One moment.", after=asked) \
        < at("tool get_next_appointment {") < at("tool get_next_appointment ok:") \
        < at("agent: Get next appointment: done. Appointment: none.") \
        < at("tool get_available_appointments {") < at("tool get_available_appointments ok:") \
        < at("agent: Get available appointments: done. Which one would you like:") \
        < at("user: Yes, that works.") < at("tool schedule_appointment {") < at("tool schedule_appointment ok:") \
        < at("agent: Schedule appointment: done. Start: ")
    assert not any(" ." in line or "for ." in line for line in lines if line.startswith("agent:")), lines


def _laura_with_a_busy_calendar(tmp_path: Path) -> Path:
    """Laura and her scenario, with a booking tool that always finds the slot just taken."""
    folder = tmp_path / "busy"
    folder.mkdir()
    for name in ("laura.scenario.yaml", "laura_tools.py"):
        shutil.copy(REPO / "personas" / name, folder / name)
    persona = (REPO / "personas" / "laura.yaml").read_text()
    assert "laura_tools:schedule_appointment" in persona
    (folder / "laura.yaml").write_text(persona.replace("laura_tools:schedule_appointment",
                                                       "busy_calendar:schedule_appointment"))
    (folder / "busy_calendar.py").write_text(
        "def schedule_appointment(args):\n"
        "    return {'error': {'code': 'slot_taken',\n"
        "                      'message': f\"{args['start']} is already booked; offer another slot\"}}\n")
    return folder / "laura.yaml"


def test_a_taken_slot_is_explained_not_confirmed(tmp_path: Path) -> None:
    persona = _laura_with_a_busy_calendar(tmp_path)
    run = voicecli("talk", "--offline", "--persona", str(persona), "--scenario",
                   str(persona.with_name("laura.scenario.yaml")), "--no-recognition", "--say-file", str(LAURA_DEMO),
                   "--fast", "--speed", "0", "--json", "--timeout", "90")
    assert run.code == 7, run.stderr  # a tool failed during the scripted run
    booking = [r for r in run.of_type("tool_result") if r["name"] == "schedule_appointment"]
    assert booking[0]["result"]["error"]["code"] == "slot_taken"
    finals = [t["text"] for t in run.of_type("transcript") if t["role"] == "agent"]
    last = finals[-1]
    assert last.startswith("Booking it now. Someone booked that time a moment ago"), last
    assert "booked for" not in last and "portal" in last
    assert "Traceback" not in run.stderr


def _tess_with(tmp_path: Path, scenario: str) -> Path:
    folder = tmp_path / "tess"
    folder.mkdir()
    for name in ("tess.yaml", "tess_tools.py"):
        shutil.copy(FIXTURES / name, folder / name)
    (folder / "tess.scenario.yaml").write_text(scenario)
    return folder / "tess.yaml"


CHECK = """name: tess
steps:
  - opening: true
    say: "Hello."
  - user: "Please check the systems."
    say: "Checking."
    tool_calls:
      - name: flaky_check
        args: {target: main}
    then: "The check found {{ %s.status }}."
"""


def test_a_placeholder_that_renders_empty_stops_the_run_and_names_its_place(tmp_path: Path) -> None:
    persona = _tess_with(tmp_path, CHECK % "flaky_check")  # the check fails: there is no status
    run = voicecli("talk", "--offline", "--persona", str(persona), "--scenario",
                   str(persona.with_name("tess.scenario.yaml")), "--no-recognition", "--speed", "0", "--fast",
                   "--say", "Please check the systems.", "--json", "--timeout", "60")
    assert run.code == 6, run.stderr  # the (emulated) service ended the session for good
    assert "scenario tess: steps[1].then: {{ flaky_check.status }} is empty" in run.stderr
    agent_lines = [t["text"] for t in run.of_type("transcript") if t["role"] == "agent"]
    assert not any("The check found" in line for line in agent_lines)
    assert "Traceback" not in run.stderr


def test_a_placeholder_naming_no_earlier_tool_is_refused_when_the_scenario_loads(tmp_path: Path) -> None:
    persona = _tess_with(tmp_path, CHECK % "flaky_chek")
    run = voicecli("talk", "--offline", "--persona", str(persona), "--scenario",
                   str(persona.with_name("tess.scenario.yaml")), "--speed", "0", "--fast",
                   "--say", "Please check the systems.", "--timeout", "60")
    assert run.code == 2, run.stderr
    assert "tess.scenario.yaml: steps[1].then: {{ flaky_chek.status }} names flaky_chek" in run.stderr
    assert "Traceback" not in run.stderr
    served = voicecli("emulator", "--scenario", str(persona.with_name("tess.scenario.yaml")))
    assert served.code == 2 and "names flaky_chek" in served.stderr
