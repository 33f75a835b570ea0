"""Frame records: every frame in and out, with time, connection id, direction and client index.

A client frame that carried text also has ``text``, a summary of it (``intake.text_record``), so a test
can count what the client said, notes included, without reading the wire format; ``client_texts`` and
``read_records`` read them back from memory or from a ``--record`` file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

_BLOB_KEYS = frozenset({"data"})


def _elide_blobs(value: Any) -> Any:
    # Audio payloads are summarised by size so records stay readable and small.
    if isinstance(value, dict):
        return {
            key: (f"<{len(item) * 3 // 4} bytes>" if key in _BLOB_KEYS and isinstance(item, str)
                  else _elide_blobs(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_elide_blobs(item) for item in value]
    return value


class Recorder:
    """Keeps records in memory (``records``) and optionally appends them to a JSON-lines file."""

    def __init__(self, path: Path | None = None, *, keep: bool = True) -> None:
        self.records: list[dict[str, Any]] = []
        self._keep = keep
        self._file: IO[str] | None = path.open("a", encoding="utf-8") if path else None

    @property
    def active(self) -> bool:
        """Records are kept or written: worth building them."""
        return self._keep or self._file is not None

    def add(self, conn: int, direction: str, frame: Any = None, *, index: int | None = None,
            **extra: Any) -> None:
        if not self.active:
            return
        record: dict[str, Any] = {"t": round(time.time(), 6), "conn": conn, "dir": direction}
        if index is not None:
            record["index"] = index
        if frame is not None:
            record["frame"] = _elide_blobs(frame)
        record.update(extra)
        if self._keep:
            self.records.append(record)
        if self._file is not None:
            self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records a ``--record`` file holds, in order."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def client_texts(records: Iterable[dict[str, Any]], *, notes_only: bool = False) -> list[dict[str, Any]]:
    """Each client text received, in order: its summary with ``conn`` and ``index`` (which connection, which frame).

    ``notes_only``: only notes (user text in brackets sent without completing a turn).
    """
    found = [{**record["text"], "conn": record["conn"], "index": record.get("index")}
             for record in records if record.get("dir") == "in" and "text" in record]
    return [text for text in found if text.get("note")] if notes_only else found
