from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from voicecli.store import SessionLog
from voicecli.store.redact import REDACTED, redact, redacted_json

KEY_CHARS = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@given(st.text(), st.lists(KEY_CHARS, min_size=35, max_size=35).map("".join), st.text())
def test_any_key_shaped_string_is_replaced(before: str, body: str, after: str) -> None:
    key = "AIza" + body
    cleaned = redact(before + key + after)
    assert key not in cleaned
    assert REDACTED in cleaned


def test_ordinary_text_is_left_alone() -> None:
    text = "AIza is a prefix; AIzaShort is not a key; 'gemini-live' neither."
    assert redact(text) == text


def test_json_keys_and_values_are_redacted(fake_key: str) -> None:
    dumped = redacted_json({fake_key: [f"key={fake_key}", {"nested": fake_key}]})
    assert fake_key not in dumped
    assert dumped.count(REDACTED) == 3


def test_no_key_reaches_the_database_files(log_path: Path, fake_key: str) -> None:
    with SessionLog.open(log_path) as log:
        session_id = log.start_session(f"laura {fake_key}", "gemini", "m", meta={"api_key": fake_key})
        log.add_transcript(session_id, "user", f"my key is {fake_key}", turn=1)
        log.add_transcript(session_id, "agent", f"it is {fake_key}", turn=1, interrupted=True,
                           heard_text=f"it is {fake_key}")
        log.add_tool_call(session_id, f"id-{fake_key}", "echo", {"key": fake_key}, {fake_key: "value"},
                          True, 0.1, "done")
        log.add_event(session_id, "error", {"message": f"refused key {fake_key}"})
        log.end_session(session_id, outcome=f"failed {fake_key}", summary={"key": fake_key})
        stored: Any = log.session(session_id)
        assert fake_key not in repr(stored.to_dict())
        assert REDACTED in stored.entries[0].text
        # Every file SQLite wrote, the write-ahead log included, while the log is still open.
        written = b"".join(path.read_bytes() for path in log_path.parent.iterdir())
    assert fake_key.encode() not in written
    assert REDACTED.encode() in written
