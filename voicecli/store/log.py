"""The session log: every session, transcript, tool call, usage report and event, in SQLite.

Things are written as they happen: a transcript line when its first words arrive (then grown
in place), a tool call when it starts (then finished in place), a turn's usage when it is
reported. A session cut short by Ctrl-C, a signal or a crash is in the log up to its last event.

Writes happen on the conversation's event loop, so each one is a single autocommitted INSERT
in WAL mode with ``synchronous=NORMAL``: tens of microseconds, no fsync per row, and a reader
(``voicecli logs show`` in another terminal) sees each row as soon as it is written. A crash of
the process loses nothing; a power cut may lose the last moments. Automatic checkpoints are off
(they fsync mid-conversation); ``end_session`` and closing the last connection fold the WAL in.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from voicecli.errors import StorageError, UsageError
from voicecli.paths import MOVE_HINT, data_dir
from voicecli.store.ids import new_session_id
from voicecli.store.records import (
    EventEntry,
    LogEntry,
    Role,
    SessionRecord,
    SessionSummary,
    ToolCallEntry,
    ToolStatus,
    TranscriptEntry,
    UsageEntry,
)
from voicecli.store.redact import redact, redacted_json
from voicecli.store.schema import migrate

LOG_FILENAME = "sessions.sqlite3"
LATEST = "latest"
RECONNECT_KIND = "reconnect"
_ID_ATTEMPTS = 5


class SessionLogError(StorageError):
    """The session log could not be opened, read or written."""


def default_log_path() -> Path:
    return data_dir() / LOG_FILENAME


_SUMMARY_COLUMNS = """
    s.id, s.persona, s.backend, s.model, s.started_at, s.ended_at, s.outcome,
    (SELECT COUNT(DISTINCT turn) FROM transcripts t WHERE t.session_id = s.id),
    (SELECT COUNT(*) FROM tool_calls c WHERE c.session_id = s.id),
    (SELECT COALESCE(SUM(total_tokens), 0) FROM usage u WHERE u.session_id = s.id),
    (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id AND e.kind = 'reconnect')
"""


class SessionLog:
    """One open session log. Safe to share between threads; one instance per process is enough."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.Lock()
        self._next_seq: dict[str, int] = {}

    @classmethod
    def open(cls, path: Path | None = None) -> SessionLog:
        """Open (creating if needed) the log at ``path``, default ``default_log_path()``."""
        path = default_log_path() if path is None else path.expanduser()
        conn: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit: each INSERT is its own short transaction; see the module docstring.
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            # Checkpoints fsync and can stall a write by milliseconds; they run at end_session instead.
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn, str(path))
        except (sqlite3.Error, OSError) as error:
            if conn is not None:
                conn.close()
            raise SessionLogError(
                f"cannot open the session log {path}: {error}",
                hint=f"pass --log-db with the path of a writable file, or {MOVE_HINT}",
            ) from error
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- writing --------------------------------------------------------------------------

    def start_session(
        self,
        persona: str,
        backend: str,
        model: str,
        started_at: float | None = None,
        meta: dict[str, Any] | None = None,
    ) -> str:
        """Record a new session and return its id."""
        started = time.time() if started_at is None else started_at
        for _ in range(_ID_ATTEMPTS):
            session_id = new_session_id(started)
            try:
                self._write(
                    "INSERT INTO sessions (id, persona, backend, model, started_at, meta) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (session_id, redact(persona), redact(backend), redact(model), started,
                     redacted_json(meta or {})),
                )
            except sqlite3.IntegrityError:
                continue  # the same second and random suffix: draw again
            with self._lock:
                self._next_seq[session_id] = 1
            return session_id
        raise SessionLogError("could not allocate a unique session id")

    def add_transcript(
        self,
        session_id: str,
        role: Role,
        text: str,
        *,
        turn: int,
        interrupted: bool = False,
        heard_text: str | None = None,
        agent: str | None = None,
        at: float | None = None,
    ) -> int:
        """An utterance, usually written at its first words; returns its ``seq``.

        ``update_transcript`` grows it. For an interrupted agent line, ``heard_text`` is what
        was played.
        """
        return self._append(
            "transcripts", "turn, role, text, interrupted, heard_text, agent", session_id, at,
            (turn, role, redact(text), int(interrupted), None if heard_text is None else redact(heard_text),
             _name(agent)),
        )

    def update_transcript(self, session_id: str, seq: int, text: str) -> None:
        """The line at ``seq`` grew: ``text`` is the whole line so far."""
        self._update("transcripts", "text = ?", session_id, seq, (redact(text),))

    def interrupt_transcript(self, session_id: str, seq: int, heard_text: str) -> None:
        """The agent line at ``seq`` was cut off; ``heard_text`` is what the user heard of it."""
        self._update("transcripts", "interrupted = 1, heard_text = ?", session_id, seq, (redact(heard_text),))

    def add_tool_call(  # noqa: PLR0917 - the engine's agreed call shape, one field per column
        self,
        session_id: str,
        call_id: str,
        name: str,
        args: dict[str, Any],
        response: dict[str, Any] | None,
        ok: bool,
        seconds: float,
        status: ToolStatus,
        *,
        agent: str | None = None,
        at: float | None = None,
    ) -> int:
        """A tool call; returns its ``seq``. A call still under way has status ``running``."""
        return self._append(
            "tool_calls", "call_id, name, args, response, ok, seconds, status, agent", session_id, at,
            (redact(call_id), redact(name), redacted_json(args),
             None if response is None else redacted_json(response), int(ok), seconds, status, _name(agent)),
        )

    def finish_tool_call(  # noqa: PLR0917 - one field per column, as add_tool_call
        self,
        session_id: str,
        seq: int,
        response: dict[str, Any] | None,
        ok: bool,
        seconds: float,
        status: ToolStatus,
    ) -> None:
        """The running call at ``seq`` ended: its result, duration and final status."""
        self._update(
            "tool_calls", "response = ?, ok = ?, seconds = ?, status = ?", session_id, seq,
            (None if response is None else redacted_json(response), int(ok), seconds, status),
        )

    def add_usage(
        self, session_id: str, prompt_tokens: int, response_tokens: int, total_tokens: int,
        *, turn: int | None = None, agent: str | None = None, at: float | None = None,
    ) -> int:
        """One turn's usage; returns its ``seq``. A later report of the same turn goes to ``update_usage``."""
        return self._append(
            "usage", "prompt_tokens, response_tokens, total_tokens, turn, agent", session_id, at,
            (prompt_tokens, response_tokens, total_tokens, turn, _name(agent)),
        )

    def update_usage(
        self, session_id: str, seq: int, prompt_tokens: int, response_tokens: int, total_tokens: int
    ) -> None:
        """The turn's usage at ``seq``, replaced by the turn's latest report."""
        self._update(
            "usage", "prompt_tokens = ?, response_tokens = ?, total_tokens = ?", session_id, seq,
            (prompt_tokens, response_tokens, total_tokens),
        )

    def add_event(
        self, session_id: str, kind: str, detail: dict[str, Any], *, agent: str | None = None,
        at: float | None = None,
    ) -> None:
        """Reconnects (use kind ``"reconnect"``, counted in the list), goAway, handoffs, errors, interruptions."""
        self._append("events", "kind, detail, agent", session_id, at,
                     (redact(kind), redacted_json(detail), _name(agent)))

    def end_session(
        self, session_id: str, *, outcome: str, summary: dict[str, Any], ended_at: float | None = None
    ) -> None:
        self._write(
            "UPDATE sessions SET ended_at = ?, outcome = ?, summary = ? WHERE id = ?",
            (time.time() if ended_at is None else ended_at, redact(outcome), redacted_json(summary),
             session_id),
        )
        self.checkpoint()

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file (done off the hot path, at session end)."""
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as error:
                raise SessionLogError(f"cannot write to the session log {self.path}: {error}") from error

    def _append(
        self, table: str, columns: str, session_id: str, at: float | None, values: tuple[Any, ...]
    ) -> int:
        marks = ", ".join("?" * (3 + len(values)))
        sql = f"INSERT INTO {table} (session_id, seq, at, {columns}) VALUES ({marks})"
        with self._lock:
            seq = self._next_seq.get(session_id)
            if seq is None:
                seq = self._last_seq(session_id) + 1
            try:
                self._execute(sql, (session_id, seq, time.time() if at is None else at, *values))
            except sqlite3.IntegrityError as error:
                # An unknown session id, or a role or status outside the schema's CHECK.
                raise SessionLogError(f"cannot log to session {session_id}: {error}") from error
            self._next_seq[session_id] = seq + 1
        return seq

    def _update(
        self, table: str, assignments: str, session_id: str, seq: int, values: tuple[Any, ...]
    ) -> None:
        sql = f"UPDATE {table} SET {assignments} WHERE session_id = ? AND seq = ?"
        with self._lock:
            try:
                changed = self._execute(sql, (*values, session_id, seq)).rowcount
            except sqlite3.IntegrityError as error:
                raise SessionLogError(f"cannot log to session {session_id}: {error}") from error
        if changed != 1:
            raise SessionLogError(f"cannot log to session {session_id}: no {table} row {seq}")

    def _last_seq(self, session_id: str) -> int:
        # A session written to by an earlier instance continues after its last row.
        row = self._conn.execute(
            "SELECT MAX(m) FROM ("
            + " UNION ALL ".join(
                f"SELECT MAX(seq) AS m FROM {table} WHERE session_id = ?"
                for table in ("transcripts", "tool_calls", "usage", "events")
            )
            + ")",
            (session_id,) * 4,
        ).fetchone()
        return int(row[0] or 0)

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._lock:
            self._execute(sql, params)

    def _execute(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.IntegrityError:
            raise  # the callers give it meaning
        except sqlite3.Error as error:
            raise SessionLogError(f"cannot write to the session log {self.path}: {error}") from error

    # --- reading --------------------------------------------------------------------------

    def list_sessions(self, limit: int = 50) -> list[SessionSummary]:
        """The newest ``limit`` sessions, newest first."""
        rows = self._query(
            f"SELECT {_SUMMARY_COLUMNS} FROM sessions s ORDER BY s.started_at DESC, s.id DESC LIMIT ?",
            (limit,),
        )
        return [_summary(row) for row in rows]

    def resolve_id(self, prefix: str) -> str | None:
        """The one session whose id starts with ``prefix`` (``"latest"``: the newest), or None.

        Raises UsageError when several sessions match.
        """
        prefix = prefix.strip()
        if not prefix:
            raise UsageError("a session id cannot be empty", hint="run `voicecli logs` to list sessions")
        if prefix == LATEST:
            rows = self._query("SELECT id FROM sessions ORDER BY started_at DESC, id DESC LIMIT 1", ())
            return str(rows[0][0]) if rows else None
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._query(
            "SELECT id FROM sessions WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6", (escaped + "%",)
        )
        ids = [str(row[0]) for row in rows]
        if prefix in ids or len(ids) == 1:
            return prefix if prefix in ids else ids[0]
        if not ids:
            return None
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        raise UsageError(
            f"session id prefix {prefix!r} is ambiguous: it matches {shown}",
            hint="type more characters of the id",
        )

    def session(self, session_id: str) -> SessionRecord | None:
        """Everything recorded for one session (by id or unique prefix), in order; None if unknown."""
        resolved = self.resolve_id(session_id)
        if resolved is None:
            return None
        head = self._query(
            f"SELECT {_SUMMARY_COLUMNS}, s.meta, s.summary FROM sessions s WHERE s.id = ?", (resolved,)
        )[0]
        entries: list[LogEntry] = []
        key = (resolved,)
        for row in self._query(
            "SELECT seq, at, turn, role, text, interrupted, heard_text, agent FROM transcripts "
            "WHERE session_id = ?",
            key,
        ):
            entries.append(TranscriptEntry(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7]))
        for row in self._query(
            "SELECT seq, at, call_id, name, args, response, ok, seconds, status, agent FROM tool_calls "
            "WHERE session_id = ?",
            key,
        ):
            response = None if row[5] is None else json.loads(row[5])
            entries.append(
                ToolCallEntry(row[0], row[1], row[2], row[3], json.loads(row[4]), response, bool(row[6]),
                              row[7], row[8], row[9])
            )
        for row in self._query(
            "SELECT seq, at, prompt_tokens, response_tokens, total_tokens, turn, agent FROM usage "
            "WHERE session_id = ?",
            key,
        ):
            entries.append(UsageEntry(*row))
        for row in self._query("SELECT seq, at, kind, detail, agent FROM events WHERE session_id = ?", key):
            entries.append(EventEntry(row[0], row[1], row[2], json.loads(row[3]), row[4]))
        entries.sort(key=lambda entry: entry.seq)
        meta, result = head[-2], head[-1]
        return SessionRecord(
            summary=_summary(head[:-2]),
            meta=json.loads(meta),
            result=None if result is None else json.loads(result),
            entries=entries,
        )

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise SessionLogError(f"cannot read the session log {self.path}: {error}") from error


def _name(agent: str | None) -> str | None:
    return None if agent is None else redact(agent)


def _summary(row: tuple[Any, ...]) -> SessionSummary:
    return SessionSummary(
        id=row[0], persona=row[1], backend=row[2], model=row[3], started_at=row[4], ended_at=row[5],
        outcome=row[6], turns=row[7], tools=row[8], tokens=row[9], reconnects=row[10],
    )
