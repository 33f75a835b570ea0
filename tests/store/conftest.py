"""A session log with one fully recorded conversation, shared by the store and CLI tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from voicecli.store import SessionLog

STARTED = 1_760_000_000.0
FAKE_KEY = "AIzaSyD" + "x" * 28 + "-_1234"  # the shape of a Google API key, 39 characters


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "logs" / "sessions.sqlite3"


@pytest.fixture
def log(log_path: Path) -> Iterator[SessionLog]:
    opened = SessionLog.open(log_path)
    yield opened
    opened.close()


def _record_conversation(log: SessionLog, started: float = STARTED, persona: str = "laura") -> str:
    """Greeting, a question, a tool call, an interrupted reply, usage, a reconnect, the end."""
    session_id = log.start_session(persona, "offline", "gemini-live-test", started_at=started,
                                   meta={"vad": "server"})
    log.add_transcript(session_id, "agent", "Hello, I'm Laura.", turn=0, at=started + 1)
    log.add_transcript(session_id, "user", "Book me in on Monday.", turn=1, at=started + 5)
    log.add_tool_call(session_id, "call-1", "book_appointment", {"day": "monday"}, {"booked": True},
                      True, 0.25, "done", at=started + 6)
    log.add_transcript(session_id, "agent", "You are booked for Monday at ten, and also", turn=1,
                       interrupted=True, heard_text="You are booked for Monday", at=started + 7)
    log.add_usage(session_id, 1200, 80, 1280, at=started + 8)
    log.add_event(session_id, "reconnect", {"reason": "goAway"}, at=started + 9)
    log.add_usage(session_id, 1400, 20, 1420, at=started + 10)
    log.end_session(session_id, outcome="completed", summary={"turns": 2}, ended_at=started + 75)
    return session_id


Recorder = Callable[..., str]


@pytest.fixture
def record() -> Recorder:
    """``record(log, started=..., persona=...)`` writes one whole conversation and returns its id."""
    return _record_conversation


@pytest.fixture
def fake_key() -> str:
    return FAKE_KEY
