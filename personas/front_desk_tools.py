"""The front desk's one tool: a note of the caller's name, kept for the coach the call goes to.

Notes are appended, one JSON object a line, to ``$VOICECLI_FRONT_DESK_NOTES``, else
``front_desk_notes.jsonl`` in the voicecli data directory. Bad arguments come back as
``{"error": {"code": ..., "message": ...}}``; nothing raises.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicecli.paths import data_dir

NOTES_ENV = "VOICECLI_FRONT_DESK_NOTES"
MAX_NAME = 80
# Letters of any script, spaces, apostrophes, hyphens and dots ("Ana María", "O'Neil", "J. Smith").
_NAME = re.compile(r"^[^\W\d_]+(?:[ .'\-]+[^\W\d_]+)*\.?$")


def _notes_file() -> Path:
    configured = os.environ.get(NOTES_ENV)
    return Path(configured) if configured else data_dir() / "front_desk_notes.jsonl"


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def note_caller_name(args: dict[str, Any]) -> dict[str, Any]:
    """Notes the caller's name so the coach can greet them by it; returns the name as noted."""
    name = " ".join(str(args.get("caller_name") or "").split())
    if not name:
        return _error("missing_name", "caller_name is empty: ask the caller for their name")
    if len(name) > MAX_NAME or not _NAME.match(name):
        return _error("invalid_name", f"{name[:MAX_NAME]!r} does not look like a name: ask the caller to repeat it")
    path = _notes_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as notes:
            notes.write(json.dumps({"caller_name": name, "at": datetime.now(UTC).isoformat(timespec="seconds")},
                                   ensure_ascii=False) + "\n")
    except OSError as error:
        return _error("not_saved", f"the note could not be saved ({error.strerror}); carry on without it")
    return {"caller_name": name}
