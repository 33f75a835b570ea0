"""``voicecli talk`` end to end: the real CLI and SDK against the built-in emulator."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import wave
from array import array
from datetime import datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import LAURA_DEMO, LAURA_SCENARIO, voicecli

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LAURA_TOOLS = ["create_client_profile", "add_action_items_to_profile", "get_next_appointment",
               "get_available_appointments", "schedule_appointment"]


def data_home() -> Path:
    return Path(os.environ["VOICECLI_HOME"])


@pytest.mark.parametrize("vad", ["server", "local"])
@pytest.mark.parametrize("backend", ["developer", "vertex"])
def test_laura_whole_workflow_offline(backend: str, vad: str, tmp_path: Path) -> None:
    reply = tmp_path / "reply.wav"
    run = voicecli("talk", "--offline", "--persona", "laura", "--scenario", str(LAURA_SCENARIO), "--backend",
                   backend, "--vad", vad, "--speed", "0", "--fast", "--say-file", str(LAURA_DEMO), "--output",
                   str(reply), "--json", "--timeout", "90")
    assert run.code == 0, run.stderr

    assert [call["name"] for call in run.of_type("tool_call")] == LAURA_TOOLS
    results = {result["name"]: result for result in run.of_type("tool_result")}
    assert len(run.of_type("tool_result")) == len(LAURA_TOOLS)
    assert sorted(results) == sorted(LAURA_TOOLS)  # each ran exactly once
    assert all(result["ok"] for result in results.values()), results
    turns = run.of_type("turn_complete")
    assert len(turns) == 6  # the greeting and one reply per user line
    heard = [t["text"] for t in run.of_type("transcript") if t["role"] == "user"]
    # What the emulator recognised from her speech (it may spell her Anna), never the scenario's user: line.
    assert any("Lopez" in text for text in heard)
    if vad == "local":
        assert run.of_type("activity"), "local detection brackets each utterance"

    # Laura's tools really ran against SQLite.
    with sqlite3.connect(data_home() / "laura.sqlite3") as db:
        assert db.execute("select count(*) from clients").fetchone()[0] == 1
        assert db.execute("select count(*) from action_items").fetchone()[0] == 2
        booked = db.execute("select start_utc from appointments").fetchall()
    assert len(booked) == 1
    offered = datetime.fromisoformat(results["get_available_appointments"]["result"]["output"]["slots"][0])
    assert datetime.fromisoformat(booked[0][0]) == offered

    # Her voice was written at 24 kHz, and the session is in the log.
    with wave.open(str(reply)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
        assert wav.getnframes() > 24000 * 5
    logs = voicecli("logs", "show", "latest", "--json")
    assert logs.code == 0, logs.stderr
    assert "Ana Lopez" in logs.stdout
    assert "schedule_appointment" in logs.stdout


def test_a_wav_turn_at_any_rate_and_channel_count(tmp_path: Path) -> None:
    """--input takes a WAV at 44.1 kHz stereo as one user turn, mixed with --say turns after it."""
    from voicecli.speech.tts import synthesize

    mono = array("h", synthesize(LAURA_DEMO.read_text().splitlines()[0], rate=44_100))
    stereo = array("h", (sample for value in mono for sample in (value, value // 2)))
    turn = tmp_path / "intake.wav"
    with wave.open(str(turn), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44_100)
        wav.writeframes(stereo.tobytes())
    run = voicecli("talk", "--offline", "--persona", "laura", "--scenario", str(LAURA_SCENARIO), "--no-recognition",
                   "--speed", "0", "--fast", "--input", str(turn), "--say", "I've been stressed at work.", "--json",
                   "--timeout", "60")
    assert run.code == 0, run.stderr
    assert [call["name"] for call in run.of_type("tool_call")] == ["create_client_profile"]
    assert len(run.of_type("turn_complete")) == 3


def test_no_credentials_says_how_and_exits_4() -> None:
    run = voicecli("talk", "--persona", "laura", "--say", "hello")
    assert run.code == 4
    assert "GEMINI_API_KEY" in run.stderr and "--offline" in run.stderr
    assert "Traceback" not in run.stderr


def test_unknown_model_is_refused_without_retrying() -> None:
    run = voicecli("talk", "--offline", "--persona", "laura", "--model", "gemini-0.1-imaginary",
                   "--speed", "0", "--fast", "--say", "hello", "--timeout", "60")
    assert run.code == 4, run.stderr
    assert "model" in run.stderr.lower()
    assert "Traceback" not in run.stderr


def test_dry_run_prints_the_config_without_a_key() -> None:
    run = voicecli("talk", "--persona", "laura", "--dry-run", "--json", "--vad", "local")
    assert run.code == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["model"] == "gemini-3.8-live"
    config = document["config"]
    assert config["speech_config"]["language_code"] == "en-US"
    assert config["realtime_input_config"]["automatic_activity_detection"]["disabled"] is True
    assert "RESPOND IN ENGLISH" in config["system_instruction"]["parts"][0]["text"]


def test_ctrl_c_ends_cleanly_with_a_summary(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "voicecli", "talk", "--offline", "--persona", "laura", "--no-recognition",
         "--say-file", str(LAURA_DEMO), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    assert process.stdout is not None
    for line in process.stdout:  # wait until the conversation is under way
        if '"turn_complete"' in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert '"summary"' in out
    assert "Traceback" not in err
