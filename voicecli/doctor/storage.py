"""The data directory: session logs and the emulator's certificates live there."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from voicecli.doctor.check import Check, failed, passed, warned
from voicecli.errors import StorageError
from voicecli.paths import MOVE_HINT, data_dir, storage_errors

LOW_SPACE_BYTES = 100 * 2**20  # a long session log with audio stays well below this


def data_dir_check() -> tuple[Check, Path | None]:
    """The check, and the directory when it is usable (later checks need it)."""
    try:
        path = data_dir()
        # An existing directory can still refuse writes (permissions, a read-only mount): write one file.
        with storage_errors(path, "the data directory (session logs, emulator certificates)"), \
                tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
    except StorageError as error:
        return failed("data directory", error.message, error.hint or MOVE_HINT), None
    free = shutil.disk_usage(path).free
    if free < LOW_SPACE_BYTES:
        return warned("data directory", f"{path} is writable but has only {free // 2**20} MB free",
                      f"free some space, or {MOVE_HINT}", path=str(path), free_bytes=free), path
    return passed("data directory", f"{path} (writable, {free / 2**30:.1f} GB free)",
                  path=str(path), free_bytes=free), path
