"""Typing and push-to-talk in ``voicecli talk``, end to end through a pseudo-terminal: keys in, events out.

The CLI runs with the pty as its controlling terminal (stdin, stdout and stderr), against the
offline emulator's generic brain, which answers typed text by echoing it ("You asked ..."). Every
test checks that the terminal's settings are the ones it started with once the run is over.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.e2e.conftest import REPO, emulator_process
from voicecli.terminal.ptyrun import CTRL_C, PtyProcess

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CTRL_D = b"\x04"
LFLAG = 3
MIC_FEED_RATE = 48_000


def talk(*args: str, env: dict[str, str] | None = None) -> PtyProcess:
    return PtyProcess([sys.executable, "-m", "voicecli", "talk", *args], env={**os.environ, **(env or {})},
                      cwd=REPO, cols=140)


def is_event(kind: str, **fields: Any) -> Any:
    return lambda event: event.get("type") == kind and all(event.get(k) == v for k, v in fields.items())


def in_cbreak(term: PtyProcess) -> bool:
    return not term.attrs()[LFLAG] & (termios.ICANON | termios.ECHO)


def test_a_typed_line_shows_as_typed_in_the_status_line_and_is_answered() -> None:
    """--text --mute: no audio device at all; the Rich view shows the partial line, then the turn."""
    with talk("--offline", "--persona", "laura", "--text", "--mute", "--no-greeting", "--speed", "0",
              "--timeout", "60") as term:
        term.expect_text("connected", timeout=30)
        assert in_cbreak(term)
        term.send("Hello, who are")
        term.expect_text(r"\|  > Hello, who are  \|")  # the line being typed, in the status line
        term.send(" you?\r")
        term.expect_text(r"you  Hello, who are you\?  \(typed\)")
        term.expect_text(r"agent  You asked Hello, who are", timeout=20)
        assert "text (no mic) · muted" in term.text
        term.send(CTRL_D)  # the end of input ends the conversation
        assert term.wait(30) == 0, term.text
        assert term.attrs() == term.initial_attrs


def test_ctrl_c_ends_the_run_and_restores_the_terminal() -> None:
    with talk("--offline", "--persona", "laura", "--text", "--mute", "--json", "--speed", "0",
              "--timeout", "60") as term:
        term.expect_json(is_event("state", connection="connected"), timeout=30)
        assert in_cbreak(term)
        term.send("half a li")  # a line being typed when Ctrl-C comes
        term.send(CTRL_C)
        assert term.wait(30) == 130, term.text
        term.expect_json(is_event("summary", outcome="interrupted"), timeout=5)
        assert term.attrs() == term.initial_attrs
        assert "Traceback" not in term.text


def test_sigterm_ends_the_run_and_restores_the_terminal() -> None:
    with talk("--offline", "--persona", "laura", "--text", "--mute", "--json", "--speed", "0",
              "--timeout", "60") as term:
        term.expect_json(is_event("state", connection="connected"), timeout=30)
        assert in_cbreak(term)
        term.signal(signal.SIGTERM)
        assert term.wait(30) == 143, term.text
        term.expect_json(is_event("summary"), timeout=5)
        assert term.attrs() == term.initial_attrs


# --- with the virtual microphone and speaker ---------------------------------------------------------


def speak_into_the_mic(line: str, env: dict[str, str]) -> None:
    """Plays speech into the virtual microphone (paced in real time by PulseAudio)."""
    from voicecli.speech.tts import synthesize

    samples = np.frombuffer(synthesize(line, rate=MIC_FEED_RATE), np.int16).astype(np.float64)
    scaled = samples * (32768.0 * 10 ** (-27.0 / 20) / float(np.sqrt(np.mean(np.square(samples)))))
    speech = np.clip(scaled, -32768, 32767).astype(np.int16).tobytes()
    subprocess.run(["pacat", "-d", "micfeed", "--raw", "--format=s16le", f"--rate={MIC_FEED_RATE}",
                    "--channels=1"], input=speech, check=True, env={**os.environ, **env})


@pytest.mark.audio
def test_a_line_typed_during_a_spoken_conversation_is_a_text_turn(virtual_audio: dict[str, str],
                                                                  tmp_path: Path) -> None:
    log_db = tmp_path / "log.sqlite3"
    with talk("--offline", "--persona", "laura", "--no-greeting", "--no-recognition", "--speed", "0", "--json",
              "--timeout", "60", "--log-db", str(log_db), env=virtual_audio) as term:
        term.expect_json(is_event("state", connection="connected"), timeout=30)
        term.send("Where is the office?\r")
        term.expect_json(is_event("transcript", role="user", text="Where is the office?", typed=True))
        term.expect_json(lambda e: e.get("type") == "transcript" and e.get("role") == "agent"
                         and "where is the office" in e.get("text", "").lower(), timeout=20)
        term.expect_json(is_event("turn_complete"), timeout=20)
        term.send(CTRL_D)
        assert term.wait(30) == 0, term.text
        assert term.attrs() == term.initial_attrs
    # The virtual speaker is not headset-like: echo cancellation is on when its extra is installed.
    from voicecli.audio import aec
    from voicecli.store import SessionLog
    from voicecli.store.records import EventEntry

    with SessionLog.open(log_db) as log:
        record = log.session("latest")
    assert record is not None
    (echo,) = [e.detail for e in record.entries if isinstance(e, EventEntry) and e.kind == "echo_cancellation"]
    assert echo["on"] is aec.available()
    if echo["on"]:  # every microphone frame went through it, with the reply played as its reference
        assert echo["frames_cleaned"] > 100 and echo["reference_s"] > 1.0, echo


def realtime_inputs(record: Path) -> tuple[dict[str, Any], list[str]]:
    """The first session's setup, and what the client sent in it: activity markers and audio, in order."""
    frames = [json.loads(line) for line in record.read_text().splitlines()]
    sent = [f["frame"] for f in frames if f["dir"] == "in" and f["conn"] == 1]
    setup, kinds = sent[0]["setup"], []
    for frame in sent[1:]:
        realtime = frame.get("realtime_input") or frame.get("realtimeInput") or {}
        for key in realtime:
            kinds.append({"activityStart": "activity_start", "activityEnd": "activity_end"}.get(key, key))
    return setup, kinds


@pytest.mark.audio
def test_push_to_talk_sends_audio_only_between_activity_start_and_end(virtual_audio: dict[str, str],
                                                                       tmp_path: Path) -> None:
    record = tmp_path / "frames.jsonl"
    with emulator_process("--record", str(record), "--speed", "0", "--no-recognition") as exports:
        env = {**virtual_audio, **exports}
        with talk("--persona", "laura", "--ptt", "--no-greeting", "--json", "--timeout", "60", env=env) as term:
            term.expect_json(is_event("state", connection="connected"), timeout=30)
            speak_into_the_mic("This is not meant for the agent.", virtual_audio)  # before the key: not sent
            term.send(" ")
            term.expect_json(is_event("push_to_talk", talking=True))
            speak_into_the_mic("Hello, my name is Ana.", virtual_audio)
            term.send("\r")  # Enter ends the turn
            term.expect_json(is_event("push_to_talk", talking=False, how="enter"))
            term.expect_json(is_event("turn_complete"), timeout=20)  # the agent answered the turn
            speak_into_the_mic("Nor is this.", virtual_audio)
            term.send(CTRL_D)
            assert term.wait(30) == 0, term.text
            assert term.attrs() == term.initial_attrs
    setup, kinds = realtime_inputs(record)
    assert setup["realtime_input_config"]["automatic_activity_detection"]["disabled"] is True
    assert kinds[0] == "activity_start" and kinds[-1] == "activity_end"
    assert kinds.count("activity_start") == kinds.count("activity_end") == 1
    audio = kinds.count("audio")
    # Only the turn's audio: about the 1.5 s spoken (20 ms frames), not the 4 s said outside it.
    assert 40 <= audio <= 150, kinds
