"""Where voicecli keeps its files: one data directory, overridable for tests and users."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "VOICECLI_HOME"


def data_dir() -> Path:
    """The user's voicecli data directory, created on first use.

    ``$VOICECLI_HOME`` wins; otherwise ``$XDG_DATA_HOME/voicecli`` or ``~/.local/share/voicecli``.
    """
    explicit = os.environ.get(DATA_DIR_ENV)
    if explicit:
        path = Path(explicit).expanduser()
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        path = Path(base) / "voicecli"
    path.mkdir(parents=True, exist_ok=True)
    return path


def personas_dir() -> Path:
    """The personas shipped with the project (the ``personas/`` folder of the checkout)."""
    return Path(__file__).resolve().parent.parent / "personas"
