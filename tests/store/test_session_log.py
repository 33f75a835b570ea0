from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from voicecli.errors import UsageError, VoicecliError
from voicecli.store import (
    EventEntry,
    SessionLog,
    SessionLogError,
    ToolCallEntry,
    TranscriptEntry,
    UsageEntry,
    default_log_path,
)
from voicecli.store.ids import new_session_id
from voicecli.store.schema import MIGRATIONS, SCHEMA_VERSION

STARTED = 1_760_000_000.0


def test_round_trip_keeps_every_field(log: SessionLog, record: Any) -> None:
    session_id = record(log)
    session = log.session(session_id)
    assert session is not None
    assert session.meta == {"vad": "server"}
    assert session.result == {"turns": 2}
    summary = session.summary
    assert (summary.persona, summary.backend, summary.model) == ("laura", "offline", "gemini-live-test")
    assert (summary.started_at, summary.ended_at, summary.duration) == (STARTED, STARTED + 75, 75)
    assert (summary.outcome, summary.turns, summary.tools, summary.tokens, summary.reconnects) == (
        "completed", 2, 1, 2700, 1,
    )
    assert [type(entry) for entry in session.entries] == [
        TranscriptEntry, TranscriptEntry, ToolCallEntry, TranscriptEntry, UsageEntry, EventEntry, UsageEntry,
    ]
    tool = session.entries[2]
    assert tool == ToolCallEntry(3, STARTED + 6, "call-1", "book_appointment", {"day": "monday"},
                                 {"booked": True}, True, 0.25, "done")
    interrupted = session.entries[3]
    assert isinstance(interrupted, TranscriptEntry)
    assert interrupted.interrupted
    assert interrupted.heard_text == "You are booked for Monday"
    assert session.entries[5] == EventEntry(6, STARTED + 9, "reconnect", {"reason": "goAway"})


def test_entries_replay_in_write_order_across_tables_even_with_equal_times(log: SessionLog) -> None:
    session_id = log.start_session("laura", "offline", "m", started_at=STARTED)
    log.add_event(session_id, "interrupted", {}, at=STARTED)
    log.add_tool_call(session_id, "c", "lookup", {}, None, False, 0.0, "cancelled", at=STARTED)
    log.add_transcript(session_id, "user", "first", turn=1, at=STARTED)
    log.add_usage(session_id, 1, 1, 2, at=STARTED)
    log.add_transcript(session_id, "agent", "second", turn=1, at=STARTED)
    session = log.session(session_id)
    assert session is not None
    assert [entry.type for entry in session.entries] == [
        "event", "tool_call", "transcript", "usage", "transcript",
    ]
    assert [entry.seq for entry in session.entries] == [1, 2, 3, 4, 5]


def test_a_second_writer_continues_after_the_last_entry(log_path: Path) -> None:
    with SessionLog.open(log_path) as first:
        session_id = first.start_session("laura", "offline", "m")
        first.add_transcript(session_id, "user", "one", turn=1)
        first.add_usage(session_id, 1, 1, 2)
    with SessionLog.open(log_path) as second:
        second.add_transcript(session_id, "agent", "two", turn=1)
        session = second.session(session_id)
    assert session is not None
    assert [entry.seq for entry in session.entries] == [1, 2, 3]


def test_list_is_newest_first_and_limited(log: SessionLog, record: Any) -> None:
    ids = [record(log, started=STARTED + hour * 3600) for hour in range(4)]
    listed = log.list_sessions(limit=3)
    assert [summary.id for summary in listed] == ids[::-1][:3]
    assert log.list_sessions() == log.list_sessions(limit=50)
    assert len(log.list_sessions()) == 4


def test_an_unfinished_session_has_no_end(log: SessionLog) -> None:
    session_id = log.start_session("laura", "gemini", "m", started_at=STARTED)
    (summary,) = log.list_sessions()
    assert summary.id == session_id
    assert (summary.ended_at, summary.duration, summary.outcome, summary.turns) == (None, None, None, 0)


def test_ids_are_readable_sortable_and_distinct() -> None:
    first = new_session_id(STARTED)
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-z]{4}", first)
    assert first.startswith("20251009-085320-")
    assert new_session_id(STARTED + 1) > first
    assert len({new_session_id(STARTED) for _ in range(200)}) > 190


def test_lookup_by_unique_prefix_and_latest(log: SessionLog, record: Any) -> None:
    early = record(log, started=STARTED)
    late = record(log, started=STARTED + 86_400)
    assert log.resolve_id(early[:9]) == early
    assert log.resolve_id(late) == late
    assert log.resolve_id("latest") == late
    assert log.resolve_id("1999") is None
    assert log.session("1999") is None
    record_by_prefix = log.session(late[:10])
    assert record_by_prefix is not None
    assert record_by_prefix.id == late


def test_an_ambiguous_prefix_is_a_usage_error(log: SessionLog, record: Any) -> None:
    first, second = record(log), record(log)
    shared = first[:16]
    assert second.startswith(shared)
    with pytest.raises(UsageError, match="ambiguous") as caught:
        log.session(shared)
    assert first in caught.value.message
    assert second in caught.value.message
    assert caught.value.exit_code == 2


def test_like_wildcards_in_a_prefix_match_literally(log: SessionLog, record: Any) -> None:
    record(log)
    assert log.resolve_id("%") is None
    assert log.resolve_id("________") is None
    with pytest.raises(UsageError):
        log.resolve_id("  ")


def test_latest_in_an_empty_log_is_none(log: SessionLog) -> None:
    assert log.resolve_id("latest") is None
    assert log.list_sessions() == []


def test_schema_is_versioned_and_uses_wal(log: SessionLog, log_path: Path) -> None:
    conn = sqlite3.connect(log_path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    assert {"sessions", "transcripts", "tool_calls", "usage", "events"} <= tables


def test_reopening_keeps_data(log_path: Path, record: Any) -> None:
    with SessionLog.open(log_path) as first:
        session_id = record(first)
    with SessionLog.open(log_path) as again:
        assert [summary.id for summary in again.list_sessions()] == [session_id]


def test_a_log_from_a_newer_voicecli_is_refused(log_path: Path) -> None:
    SessionLog.open(log_path).close()
    conn = sqlite3.connect(log_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(VoicecliError, match="newer|reads up to"):
        SessionLog.open(log_path)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(SessionLogError, match="cannot open the session log"):
        SessionLog.open(junk)


def test_writing_to_an_unknown_session_is_a_clear_error(log: SessionLog) -> None:
    with pytest.raises(SessionLogError, match="nope"):
        log.add_transcript("nope", "user", "hi", turn=1)


def test_a_status_outside_the_schema_is_refused(log: SessionLog) -> None:
    session_id = log.start_session("laura", "offline", "m")
    with pytest.raises(SessionLogError):
        log.add_tool_call(session_id, "c", "f", {}, None, False, 0.0, "exploded")  # type: ignore[arg-type]


def test_the_default_path_is_in_the_data_dir(tmp_path: Path) -> None:
    # conftest points VOICECLI_HOME at tmp_path / "voicecli-home".
    assert default_log_path() == tmp_path / "voicecli-home" / "sessions.sqlite3"
    with SessionLog.open() as log:
        assert log.path == default_log_path()
    assert default_log_path().exists()


def test_a_reader_sees_rows_while_the_writer_keeps_its_connection(log: SessionLog, log_path: Path) -> None:
    session_id = log.start_session("laura", "offline", "m")
    log.add_transcript(session_id, "user", "one", turn=1)
    with SessionLog.open(log_path) as reader:
        seen = reader.session(session_id)
        assert seen is not None
        assert len(seen.entries) == 1
        log.add_transcript(session_id, "agent", "two", turn=1)
        seen = reader.session(session_id)
        assert seen is not None
        assert [entry.text for entry in seen.entries if isinstance(entry, TranscriptEntry)] == ["one", "two"]


def test_an_open_read_transaction_does_not_block_the_writer(log: SessionLog, log_path: Path) -> None:
    # Under a rollback journal the writer would wait for this reader's shared lock; WAL lets it commit.
    session_id = log.start_session("laura", "offline", "m")
    reader = sqlite3.connect(log_path, timeout=0, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT COUNT(*) FROM transcripts").fetchone()[0] == 0
        for turn in range(20):
            log.add_transcript(session_id, "user", f"line {turn}", turn=turn)
        assert reader.execute("SELECT COUNT(*) FROM transcripts").fetchone()[0] == 0  # its snapshot
        reader.execute("COMMIT")
        assert reader.execute("SELECT COUNT(*) FROM transcripts").fetchone()[0] == 20
    finally:
        reader.close()


def test_writes_from_several_threads_all_land_in_order(log: SessionLog) -> None:
    session_id = log.start_session("laura", "offline", "m")

    def write(worker: int) -> None:
        for index in range(50):
            log.add_event(session_id, "tick", {"worker": worker, "index": index})

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    session = log.session(session_id)
    assert session is not None
    assert [entry.seq for entry in session.entries] == list(range(1, 201))
    for worker in range(4):
        indexes = [entry.detail["index"] for entry in session.entries
                   if isinstance(entry, EventEntry) and entry.detail["worker"] == worker]
        assert indexes == list(range(50))


def test_rows_written_as_things_begin_are_completed_in_place(log: SessionLog) -> None:
    """A line grows and a tool call finishes where they were first written: seq is when they began."""
    session_id = log.start_session("laura", "offline", "m", started_at=STARTED)
    user = log.add_transcript(session_id, "user", "Book me", turn=1, at=STARTED + 1)
    agent = log.add_transcript(session_id, "agent", "Let me", turn=1, at=STARTED + 2)
    call = log.add_tool_call(session_id, "c1", "book", {"day": "monday"}, None, False, 0.0, "running",
                             at=STARTED + 3)
    log.update_transcript(session_id, user, "Book me in on Monday.")
    log.update_transcript(session_id, agent, "Let me book that. Done, you are booked for ten.")
    log.finish_tool_call(session_id, call, {"booked": True}, True, 0.5, "done")
    log.interrupt_transcript(session_id, agent, "Let me book that.")
    session = log.session(session_id)
    assert session is not None
    assert session.entries == [
        TranscriptEntry(1, STARTED + 1, 1, "user", "Book me in on Monday."),
        TranscriptEntry(2, STARTED + 2, 1, "agent", "Let me book that. Done, you are booked for ten.", True,
                        "Let me book that."),
        ToolCallEntry(3, STARTED + 3, "c1", "book", {"day": "monday"}, {"booked": True}, True, 0.5, "done"),
    ]


def test_a_running_call_reads_back_as_running(log: SessionLog) -> None:
    session_id = log.start_session("laura", "offline", "m")
    log.add_tool_call(session_id, "c1", "book", {}, None, False, 0.0, "running")
    session = log.session(session_id)
    assert session is not None
    (call,) = session.entries
    assert isinstance(call, ToolCallEntry)
    assert (call.status, call.response, call.ok) == ("running", None, False)


def test_usage_is_one_row_per_turn_and_the_list_sums_the_turns(log: SessionLog) -> None:
    session_id = log.start_session("laura", "offline", "m")
    first = log.add_usage(session_id, 50, 10, 60, turn=1)
    log.update_usage(session_id, first, 50, 100, 150)  # a later report of turn 1 replaces the earlier
    log.add_usage(session_id, 200, 20, 220, turn=2)
    (summary,) = log.list_sessions()
    assert summary.tokens == 150 + 220
    session = log.session(session_id)
    assert session is not None
    assert [(e.turn, e.prompt_tokens, e.response_tokens, e.total_tokens) for e in session.entries
            if isinstance(e, UsageEntry)] == [(1, 50, 100, 150), (2, 200, 20, 220)]


def test_updating_a_row_that_is_not_there_is_a_clear_error(log: SessionLog) -> None:
    session_id = log.start_session("laura", "offline", "m")
    with pytest.raises(SessionLogError, match="no transcripts row 7"):
        log.update_transcript(session_id, 7, "hello")
    seq = log.add_tool_call(session_id, "c", "f", {}, None, False, 0.0, "running")
    with pytest.raises(SessionLogError):
        log.finish_tool_call(session_id, seq, None, False, 0.0, "exploded")  # type: ignore[arg-type]


def test_the_migration_steps_are_numbered_in_order() -> None:
    assert [step.version for step in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    assert all(step.name for step in MIGRATIONS)


def test_a_version_1_log_is_upgraded_in_place_and_keeps_its_rows(log_path: Path) -> None:
    log_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(log_path, isolation_level=None)
    try:
        for statement in MIGRATIONS[0].sql.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO sessions (id, persona, backend, model, started_at) "
                     "VALUES ('20251009-085320-abcd', 'laura', 'offline', 'm', ?)", (STARTED,))
        conn.execute("INSERT INTO tool_calls VALUES ('20251009-085320-abcd', 1, ?, 'c1', 'book', '{}', "
                     "'{\"booked\":true}', 1, 0.25, 'done')", (STARTED + 1,))
        conn.execute("INSERT INTO usage VALUES ('20251009-085320-abcd', 2, ?, 100, 20, 120)", (STARTED + 2,))
    finally:
        conn.close()
    with SessionLog.open(log_path) as log:
        old = log.session("20251009-085320-abcd")
        assert old is not None
        assert old.entries == [
            ToolCallEntry(1, STARTED + 1, "c1", "book", {}, {"booked": True}, True, 0.25, "done"),
            UsageEntry(2, STARTED + 2, 100, 20, 120, None),
        ]
        assert old.summary.tokens == 120
        # The new step's shapes work on the upgraded file.
        log.add_tool_call(old.id, "c2", "book", {}, None, False, 0.0, "running")
        log.add_usage(old.id, 200, 10, 210, turn=2)
    conn = sqlite3.connect(log_path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_a_version_2_log_gains_the_agent_column_and_old_rows_name_none(log_path: Path) -> None:
    log_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(log_path, isolation_level=None)
    try:
        for step in MIGRATIONS[:2]:
            for statement in step.sql.split(";"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
        conn.execute("INSERT INTO sessions (id, persona, backend, model, started_at) "
                     "VALUES ('20251009-085320-abcd', 'laura', 'offline', 'm', ?)", (STARTED,))
        conn.execute("INSERT INTO transcripts VALUES ('20251009-085320-abcd', 1, ?, 1, 'user', 'Hi', 0, NULL)",
                     (STARTED + 1,))
    finally:
        conn.close()
    with SessionLog.open(log_path) as log:
        log.add_transcript("20251009-085320-abcd", "agent", "Laura here.", turn=1, agent="laura")
        log.add_event("20251009-085320-abcd", "handoff", {"from": "front_desk", "to": "laura"}, agent="laura")
        old = log.session("20251009-085320-abcd")
    assert old is not None
    assert [(type(e).__name__, e.agent) for e in old.entries] == [
        ("TranscriptEntry", None), ("TranscriptEntry", "laura"), ("EventEntry", "laura")]
    conn = sqlite3.connect(log_path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    finally:
        conn.close()
