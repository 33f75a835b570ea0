"""End-to-end helpers: run the real CLI in a subprocess against the built-in emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LAURA_DEMO = REPO / "personas" / "laura.demo.txt"
LAURA_SCENARIO = REPO / "personas" / "laura.scenario.yaml"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events() if event["type"] == kind]


def voicecli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Run:
    """Run ``python -m voicecli ARGS`` with the test's (isolated) environment."""
    completed = subprocess.run(
        [sys.executable, "-m", "voicecli", *args],
        capture_output=True, text=True, timeout=timeout, check=False, env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


@contextmanager
def emulator_process(*args: str, env: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """``voicecli emulator ARGS`` in its own process; yields the environment lines it prints."""
    server = subprocess.Popen([sys.executable, "-m", "voicecli", "emulator", *args], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env={**os.environ, **(env or {})})
    try:
        assert server.stdout is not None
        exports: dict[str, str] = {}
        for line in server.stdout:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                exports[name] = value
            if "GEMINI_API_KEY" in exports:  # the last line it prints
                break
        yield exports
    finally:
        server.terminate()
        server.wait(timeout=10)


def scripted_offline(persona: Path) -> list[str]:
    """``talk`` arguments for a persona whose own scenario drives the emulator, steps in order."""
    scenario = persona.with_name(f"{persona.stem}.scenario.yaml")
    return ["--offline", "--persona", str(persona), "--scenario", str(scenario), "--no-recognition"]


@pytest.fixture
def virtual_audio() -> Iterator[dict[str, str]]:
    """The virtual PulseAudio server of scripts/virtual-audio.sh; yields the environment that reaches it."""
    runtime = os.environ.get("XDG_RUNTIME_DIR") or "/tmp/voicecli-audio-xdg"
    env = {**os.environ, "XDG_RUNTIME_DIR": runtime}
    if shutil.which("pactl") is None or shutil.which("pacat") is None:
        pytest.skip("pulseaudio is not installed, so there is no virtual sound device")
    started = subprocess.run(["bash", str(REPO / "scripts" / "virtual-audio.sh"), "start"],
                             capture_output=True, text=True, check=False, env=env)
    if subprocess.run(["pactl", "info"], capture_output=True, check=False, env=env).returncode != 0:
        pytest.skip(f"virtual audio unavailable: {started.stdout.strip() or started.stderr.strip()}")
    yield {"XDG_RUNTIME_DIR": runtime}
