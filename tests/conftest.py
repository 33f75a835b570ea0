"""Test isolation shared by every test: no real credentials, a private data dir, a fixed terminal."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("GEMINI_", "GOOGLE_")) or name in {"SSL_CERT_FILE"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOICECLI_HOME", str(tmp_path / "voicecli-home"))
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERMINAL_WIDTH", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    yield
