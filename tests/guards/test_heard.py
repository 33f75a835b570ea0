"""HeardNotes: one bounded note per interruption, only for models that take client content all session."""

from __future__ import annotations

import pytest

from voicecli.guards.heard import MAX_HEARD_CHARS, MAX_NOTE_CHARS, HeardNote, HeardNotes, accepts_notes, note_text
from voicecli.live.models import MODEL_CAPABILITIES

HEARD = "Your order left the warehouse on Monday and it should"


def test_the_note_quotes_what_was_heard() -> None:
    assert note_text(HEARD) == (
        '[The user heard only: "Your order left the warehouse on Monday and it should". '
        "The rest was not heard: they interrupted you.]")


def test_a_reply_cut_by_a_dropped_connection_says_so() -> None:
    assert note_text("Hello").endswith("they interrupted you.]")
    assert note_text("Hello", "dropped") == (
        '[The user heard only: "Hello". The rest was not heard: the connection dropped while you were speaking.]')


def test_nothing_heard_is_said_plainly() -> None:
    assert note_text("  ") == "[The user heard none of your last reply: they interrupted you.]"


def test_the_heard_part_is_one_line_and_its_quotes_do_not_break_the_note() -> None:
    text = note_text('She said\n"wait here"  and')
    assert text.count('"') == 2
    assert "She said 'wait here' and" in text


@pytest.mark.parametrize("length", [MAX_HEARD_CHARS - 1, MAX_HEARD_CHARS, MAX_HEARD_CHARS + 1, 5000])
@pytest.mark.parametrize("cause", ["interrupted", "dropped"])
def test_a_note_is_bounded_and_keeps_where_the_user_stopped_hearing(length: int, cause: str) -> None:
    words = " ".join(f"w{i}" for i in range(2000))[:length].rstrip()
    text = note_text(words, cause)  # type: ignore[arg-type]
    assert len(text) <= MAX_NOTE_CHARS
    quoted = text.split('"')[1]
    assert len(quoted) <= MAX_HEARD_CHARS
    last_word = words.split()[-1]
    assert quoted.endswith(last_word)
    if len(words) > MAX_HEARD_CHARS:
        assert quoted.startswith("…")
        assert f" {quoted[1:].split()[0]} " in f" {words} "  # starts at a whole word


def test_each_interruption_gets_its_note_once() -> None:
    notes = HeardNotes(enabled=True)
    first = notes.note_for(3, HEARD)
    assert first == HeardNote(3, note_text(HEARD))
    assert notes.note_for(3, HEARD) is None
    assert notes.note_for(3, "something else entirely") is None
    second = notes.note_for(5, "Sure")
    assert second is not None and second.key == 5
    assert notes.summary() == {"heard_notes": 2, "heard_notes_withheld": 0}


def test_a_reconnect_that_reports_the_same_interruption_again_sends_nothing() -> None:
    # The resumed session (or the replayed history) brings the cut turn back: the key is the same turn.
    notes = HeardNotes(enabled=True)
    sent = [note for key in (4, 4, 4) if (note := notes.note_for(key, HEARD, "interrupted")) is not None]
    sent += [note for note in [notes.note_for(4, HEARD, "dropped")] if note is not None]
    assert [note.key for note in sent] == [4]
    assert notes.sent == 1


def test_off_or_unsupported_sends_nothing_and_counts_it() -> None:
    notes = HeardNotes(enabled=False)
    assert notes.note_for(1, HEARD) is None
    assert notes.note_for(1, HEARD) is None
    assert notes.note_for(2, HEARD) is None
    assert notes.summary() == {"heard_notes": 0, "heard_notes_withheld": 2}


def test_which_models_take_the_note_comes_from_the_model_table() -> None:
    assert accepts_notes("gemini-3.8-live") is True
    assert accepts_notes("models/gemini-3.8-live") is True
    assert accepts_notes("gemini-3.1-flash-live-preview") is False  # 1007 after the first model turn
    assert accepts_notes("gemini-9-unknown") is None
    for model_id, row in MODEL_CAPABILITIES.items():
        assert accepts_notes(model_id) is row.client_content_mid_session
