"""``voicecli emulator`` flags run as a subprocess: --plain, --stall, --drift, and their bad values."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

VOICECLI = Path(sys.executable).parent / "voicecli"
SETUP = {"setup": {"model": "models/gemini-3.8-live", "outputAudioTranscription": {}}}


def _turn(text: str) -> str:
    return json.dumps({"clientContent": {"turns": [{"role": "user", "parts": [{"text": text}]}],
                                         "turnComplete": True}})


def _serve(*args: str, home: Path) -> Iterator[dict[str, str]]:
    """Start the emulator with ``args``; yield the variables its printed lines export."""
    server = subprocess.Popen([str(VOICECLI), "emulator", "--speed", "0", "--no-recognition", *args],
                              env={**_env(), "VOICECLI_HOME": str(home)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        exported: dict[str, str] = {}
        for line in server.stdout:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                exported[name] = shlex.split(value)[0]
            if line.startswith("export GEMINI_API_KEY="):
                break
        yield exported
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_", "SSL_CERT"))}


@pytest.fixture
def plain_with_faults(tmp_path: Path) -> Iterator[dict[str, str]]:
    yield from _serve("--plain", "--stall", "empty_turn_complete:1", "--drift", "1", home=tmp_path)


def _say(ws: object, text: str) -> tuple[str, list[dict[str, object]]]:
    """One typed turn: (the reply's output transcription, every frame up to turnComplete)."""
    ws.send(_turn(text))  # type: ignore[attr-defined]
    frames: list[dict[str, object]] = []
    while True:
        frame = json.loads(ws.recv())  # type: ignore[attr-defined]
        frames.append(frame)
        content = frame.get("serverContent") or {}
        if content.get("turnComplete"):
            break
    said = "".join(f["serverContent"]["outputTranscription"]["text"]  # type: ignore[index]
                   for f in frames if "outputTranscription" in (f.get("serverContent") or {}))
    return said, frames


def test_plain_serves_ws_and_the_stall_and_drift_flags_apply(plain_with_faults: dict[str, str]) -> None:
    url = plain_with_faults["EMULATOR_DEVELOPER_URL"]
    assert url.startswith("ws://127.0.0.1:") and "SSL_CERT_FILE" not in plain_with_faults
    with connect(url) as ws:  # no TLS: a plain WebSocket client
        ws.send(json.dumps(SETUP))
        assert "setupComplete" in json.loads(ws.recv())
        stalled, frames = _say(ws, "hi")
        assert stalled == "" and frames == [{"serverContent": {"turnComplete": True}}]  # --stall empty_turn_complete:1
        drifted, _ = _say(ws, "hi")
        assert drifted.startswith(("Hola", "Perdona"))  # --drift 1: the next reply comes in Spanish
        english, _ = _say(ws, "hi")
        assert english == "Hi! How can I help you today?"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--stall", "after_lunch:2"], "unknown stall variant 'after_lunch'"),
        (["--stall", "after_user_turn:two"], "needs a whole number of turns"),
        (["--stall", "after_user_turn:-1"], "needs a whole number of turns"),
        (["--drift", "-3"], "--drift -3 is negative"),
        (["--drift", "many"], "'many' is not a valid int"),
        (["--plain", "--host", "0.0.0.0"], "--plain serves only on loopback"),
    ],
)
def test_bad_fault_values_are_one_clear_message(args: list[str], words: str) -> None:
    done = subprocess.run([str(VOICECLI), "emulator", *args], capture_output=True, text=True, timeout=30,
                          check=False, env=_env())
    assert done.returncode == 2
    assert words in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
