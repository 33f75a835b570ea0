"""Doctor test helpers: the real emulator, a port nothing listens on, the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.audio.conftest import virtual_audio  # noqa: F401 (a fixture, used by name)
from voicecli.emulator import Emulator

MODEL = "gemini-3.8-live"


def closed_port() -> int:
    """A loopback port that was free a moment ago: connecting to it is refused, as with no service."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def make_emulator(tmp_path: Path) -> Callable[..., Any]:
    @asynccontextmanager
    async def start(**options: Any) -> AsyncIterator[Emulator]:
        async with Emulator(ca_dir=tmp_path / "ca", speed=0, **options) as emulator:
            yield emulator

    return start


def doctor_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``python -m voicecli doctor ARGS`` with the test's isolated environment plus ``env``."""
    completed = subprocess.run(
        [sys.executable, "-m", "voicecli", "doctor", *args], capture_output=True, text=True, timeout=120,
        check=False, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
    )
    return completed.returncode, completed.stdout, completed.stderr


def checks_by_name(stdout: str) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in json.loads(stdout)["checks"]}
