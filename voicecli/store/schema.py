"""The session log's tables, versioned with ``PRAGMA user_version``.

Every row of a session carries ``seq``, one counter shared by all its tables, so a session
replays in the order things happened even when two events share a timestamp. A row is
written when its event begins (a transcript line at its first words, a tool call when it
starts) and updated as it goes on, so ``seq`` orders events by when they happened.

The schema grows by numbered, named steps; opening a file runs the steps it has not had.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from voicecli.errors import VoicecliError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


_CREATE_TABLES = Migration(1, "create the session tables", """
    CREATE TABLE sessions (
        id          TEXT PRIMARY KEY,
        persona     TEXT NOT NULL,
        backend     TEXT NOT NULL,
        model       TEXT NOT NULL,
        started_at  REAL NOT NULL,
        ended_at    REAL,
        outcome     TEXT,
        meta        TEXT NOT NULL DEFAULT '{}',
        summary     TEXT
    );
    CREATE INDEX sessions_started ON sessions (started_at);

    CREATE TABLE transcripts (
        session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq         INTEGER NOT NULL,
        at          REAL NOT NULL,
        turn        INTEGER NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('user', 'agent')),
        text        TEXT NOT NULL,
        interrupted INTEGER NOT NULL DEFAULT 0,
        heard_text  TEXT,
        PRIMARY KEY (session_id, seq)
    );

    CREATE TABLE tool_calls (
        session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq         INTEGER NOT NULL,
        at          REAL NOT NULL,
        call_id     TEXT NOT NULL,
        name        TEXT NOT NULL,
        args        TEXT NOT NULL,
        response    TEXT,
        ok          INTEGER NOT NULL,
        seconds     REAL NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('done', 'cancelled', 'error', 'timeout')),
        PRIMARY KEY (session_id, seq)
    );

    CREATE TABLE usage (
        session_id      TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq             INTEGER NOT NULL,
        at              REAL NOT NULL,
        prompt_tokens   INTEGER NOT NULL,
        response_tokens INTEGER NOT NULL,
        total_tokens    INTEGER NOT NULL,
        PRIMARY KEY (session_id, seq)
    );

    CREATE TABLE events (
        session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq         INTEGER NOT NULL,
        at          REAL NOT NULL,
        kind        TEXT NOT NULL,
        detail      TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
    );
    """)

# Tool calls are written when they start (status 'running') and finished in place; SQLite
# cannot widen a CHECK, so the table is rebuilt. Usage rows name their turn: one row per turn.
_RUNNING_TOOLS_AND_TURN_USAGE = Migration(2, "running tool calls, usage per turn", """
    CREATE TABLE tool_calls_v2 (
        session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq         INTEGER NOT NULL,
        at          REAL NOT NULL,
        call_id     TEXT NOT NULL,
        name        TEXT NOT NULL,
        args        TEXT NOT NULL,
        response    TEXT,
        ok          INTEGER NOT NULL,
        seconds     REAL NOT NULL,
        status      TEXT NOT NULL
                    CHECK (status IN ('running', 'done', 'cancelled', 'error', 'timeout')),
        PRIMARY KEY (session_id, seq)
    );
    INSERT INTO tool_calls_v2 (session_id, seq, at, call_id, name, args, response, ok, seconds, status)
        SELECT session_id, seq, at, call_id, name, args, response, ok, seconds, status FROM tool_calls;
    DROP TABLE tool_calls;
    ALTER TABLE tool_calls_v2 RENAME TO tool_calls;

    ALTER TABLE usage ADD COLUMN turn INTEGER;
    """)

# A conversation may hand off from one agent (persona) to another and stays one session: every row
# names the agent that was active. Older rows have none: their agent is the session's persona.
_AGENT_ON_EVERY_ROW = Migration(3, "the agent on every row", """
    ALTER TABLE transcripts ADD COLUMN agent TEXT;
    ALTER TABLE tool_calls ADD COLUMN agent TEXT;
    ALTER TABLE usage ADD COLUMN agent TEXT;
    ALTER TABLE events ADD COLUMN agent TEXT;
    """)

MIGRATIONS: tuple[Migration, ...] = (_CREATE_TABLES, _RUNNING_TOOLS_AND_TURN_USAGE, _AGENT_ON_EVERY_ROW)
SCHEMA_VERSION = MIGRATIONS[-1].version


def migrate(conn: sqlite3.Connection, where: str) -> None:
    """Bring the database at ``where`` up to ``SCHEMA_VERSION``; refuse one from a newer voicecli.

    The version is read inside an immediate transaction, so two processes opening a fresh file
    at once do not both create the tables.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise VoicecliError(
                f"the session log {where} has schema version {version}; "
                f"this voicecli reads up to {SCHEMA_VERSION}",
                hint="upgrade voicecli, or pass --log-db to use another file",
            )
        for step in MIGRATIONS[version:]:
            for statement in step.sql.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step.version}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
