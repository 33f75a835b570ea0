"""Where voicecli keeps its files: one data directory, overridable for tests and users."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from voicecli.errors import StorageError

DATA_DIR_ENV = "VOICECLI_HOME"
MOVE_HINT = f"choose another folder with --data-dir DIR or ${DATA_DIR_ENV}=DIR"


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
    with storage_errors(path, "the data directory (session logs, emulator certificates)"):
        path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def storage_errors(path: Path, purpose: str, hint: str = MOVE_HINT) -> Iterator[None]:
    """Turn an OSError into a StorageError that names the path, what it was for, and how to move it."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise StorageError(f"cannot write {path}, needed for {purpose}: {reason}", hint=hint) from error


def personas_dir() -> Path:
    """The personas shipped with voicecli, from any install.

    A wheel carries the checkout's top-level ``personas/`` folder as ``voicecli/personas`` (see setup.py);
    a checkout or an editable install reads the folder itself.
    """
    package = Path(__file__).resolve().parent
    installed = package / "personas"
    return installed if installed.is_dir() else package.parent / "personas"
