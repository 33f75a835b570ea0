"""The conversation log: sessions, transcripts, tool calls, usage and events in SQLite."""

from voicecli.store.log import SessionLog, SessionLogError, default_log_path
from voicecli.store.records import (
    EventEntry,
    LogEntry,
    SessionRecord,
    SessionSummary,
    ToolCallEntry,
    TranscriptEntry,
    UsageEntry,
)
from voicecli.store.redact import redact

__all__ = [
    "EventEntry",
    "LogEntry",
    "SessionLog",
    "SessionLogError",
    "SessionRecord",
    "SessionSummary",
    "ToolCallEntry",
    "TranscriptEntry",
    "UsageEntry",
    "default_log_path",
    "redact",
]
