"""The live transcript views, rendered deterministically: fixed width, no colour."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console
from rich.text import Text

from voicecli import events as ev
from voicecli.ui.live_view import PlainView, RichLiveView, StatusLine

MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
SLOT = "2030-05-01T10:00:00"


def console(width: int = 100) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False, highlight=False)


def full_status() -> StatusLine:
    return StatusLine(backend="emulator", model=MODEL, connection="connected", activity="user speaking",
                      mic_dbfs=-27.0, total_tokens=1552, trigger_tokens=25_600, latency_s=0.412,
                      handle_since=time.monotonic() - 3)


def screen(view: RichLiveView) -> list[str]:
    out = view.console
    out.print(view.render())
    assert isinstance(out.file, io.StringIO)
    return [line.rstrip() for line in out.file.getvalue().splitlines()]


SEPARATOR = "  |  "
# The fields of full_status(), most important first; the token figure's wording is left open.
IMPORTANCE = ["connected", "user speaking", "mic -27.0 dBFS", "tokens", "last reply 412 ms",
              f"emulator · {MODEL}", "handle 3 s old"]


def kept(line: str) -> list[int]:
    """Which fields (by importance) a status line shows, in the order it shows them."""
    return [next(i for i, name in enumerate(IMPORTANCE) if name in part) for part in line.split(SEPARATOR)]


def test_a_wide_terminal_shows_every_field_in_display_order() -> None:
    assert kept(full_status().render(300)) == [5, 0, 1, 2, 3, 4, 6]


def test_at_100_columns_the_least_important_fields_go_first() -> None:
    line = full_status().render(100)
    assert len(line) <= 100
    assert line.startswith("connected  |  user speaking  |  mic -27.0 dBFS  |  ")
    assert "emulator" not in line and "handle" not in line


@pytest.mark.parametrize("width", range(20, 301, 7))
def test_the_status_keeps_the_most_important_fields_that_fit(width: int) -> None:
    line = full_status().render(width)
    shown = sorted(kept(line))
    assert len(line) <= width
    assert shown == list(range(len(shown)))  # never a less important field in place of a more important one
    if len(shown) < len(IMPORTANCE):  # and the next one would not have fitted
        wider = full_status().render(1000).split(SEPARATOR)
        with_next = [part for part in wider if kept(part)[0] <= len(shown)]
        assert len(SEPARATOR.join(with_next)) > width


@pytest.mark.parametrize("width", [1, 5, 8])
def test_a_very_narrow_terminal_cuts_the_last_field_with_an_ellipsis(width: int) -> None:
    line = full_status().render(width)
    assert len(line) == width and line.endswith("…")
    assert line[:-1] == "connected"[: width - 1]


def test_the_status_line_fits_the_terminal_in_the_live_view() -> None:
    view = RichLiveView(full_status(), console=console(100))
    view.handle(ev.Transcript("user", "My name is Ana Lopez, I was born on March 3rd 1990, and I live in Texas.",
                              False))
    rows = screen(view)
    assert len(rows) == 2  # the transcript line and one status line, not wrapped
    assert rows[0] == "you  My name is Ana Lopez, I was born on March 3rd 1990, and I live in Texas."
    assert rows[1] == full_status().render(100) and len(rows[1]) <= 100


def test_user_activity_shows_in_the_status_line() -> None:
    view = RichLiveView(StatusLine(backend="emulator", model="m", connection="connected"), console=console())
    view.handle(ev.UserActivity(True))
    assert "|  user speaking  |" in screen(view)[-1]
    view.handle(ev.UserActivity(False))
    assert "|  idle  |" in view.status.render(100)


BOOKING = [
    ev.Transcript("user", "Yes, let's book a follow-up.", True),
    ev.Transcript("agent", "Let me check", False),
    ev.Transcript("agent", "Let me check your appointments.", False),
    ev.ToolCallEvent("c1", "get_next_appointment", {"client_id": "c-1"}),
    ev.ToolResultEvent("c1", "get_next_appointment", {"output": {"appointment": None}}, True, 0.004),
    ev.ToolCallEvent("c2", "get_available_appointments", {"client_id": "c-1"}),
    ev.ToolResultEvent("c2", "get_available_appointments", {"output": {"slots": [SLOT]}}, True, 0.006),
    ev.Transcript("agent", "Let me check your appointments. The first open slot", False),
    ev.Transcript("agent", f"Let me check your appointments. The first open slot is {SLOT}.", False),
    ev.TurnComplete(4, 0.3),
]


def test_tool_lines_are_drawn_where_they_happened() -> None:
    view = RichLiveView(StatusLine(backend="emulator", model="m", connection="connected"), console=console(120))
    for event in BOOKING:
        view.handle(event)
    assert screen(view)[:-1] == [
        "you  Yes, let's book a follow-up.",
        "agent  Let me check your appointments.",
        'tool  get_next_appointment({"client_id": "c-1"})',
        'tool  get_next_appointment -> {"output": {"appointment": null}} (4 ms)',
        'tool  get_available_appointments({"client_id": "c-1"})',
        f'tool  get_available_appointments -> {{"output": {{"slots": ["{SLOT}"]}}}} (6 ms)',
        f"agent  The first open slot is {SLOT}.",
    ]


def test_the_next_turn_starts_fresh_lines() -> None:
    view = RichLiveView(StatusLine(backend="emulator", model="m"), console=console(120))
    for event in [*BOOKING, ev.Transcript("user", "Yes, that works.", True),
                  ev.Transcript("agent", "Booking it now.", False)]:
        view.handle(event)
    assert screen(view)[-3:-1] == ["you  Yes, that works.", "agent  Booking it now."]


def test_an_interrupted_reply_after_a_tool_marks_only_its_own_line() -> None:
    view = RichLiveView(StatusLine(backend="emulator", model="m"), console=console(120))
    for event in BOOKING[:7]:
        view.handle(event)
    view.handle(ev.Transcript("agent", f"Let me check your appointments. The first open slot is {SLOT}.", False))
    view.handle(ev.Interrupted(3.0, "Let me check your appointments. The first open"))
    view.handle(ev.Notice("the connection dropped during the reply; the agent answers again"))
    view.handle(ev.Transcript("agent", "The first open slot", False))  # the reply, said again
    assert screen(view)[-5:-1] == [
        f'tool  get_available_appointments -> {{"output": {{"slots": ["{SLOT}"]}}}} (6 ms)',
        "agent  The first open ⟂ interrupted",
        "note  the connection dropped during the reply; the agent answers again",
        "agent  The first open slot",
    ]


def test_markup_in_transcripts_is_shown_as_text() -> None:
    view = RichLiveView(StatusLine(backend="emulator", model="m"), console=console())
    view.handle(ev.Transcript("user", "[bold]not bold[/]", True))
    assert screen(view)[0] == "you  [bold]not bold[/]"
    assert isinstance(view.render().renderables[-1], Text)


def plain_lines(events: list[object]) -> list[str]:
    out = console(400)
    view = PlainView(out)
    for event in events:
        view.handle(event)
    view.stop()
    assert isinstance(out.file, io.StringIO)
    return out.file.getvalue().splitlines()


def test_plain_view_prints_what_was_said_before_and_after_the_tools_in_order() -> None:
    assert plain_lines(BOOKING) == [
        "user: Yes, let's book a follow-up.",
        "agent: Let me check your appointments.",
        'tool get_next_appointment {"client_id": "c-1"}',
        'tool get_next_appointment ok: {"output": {"appointment": null}}',
        'tool get_available_appointments {"client_id": "c-1"}',
        f'tool get_available_appointments ok: {{"output": {{"slots": ["{SLOT}"]}}}}',
        f"agent: The first open slot is {SLOT}.",
    ]


def test_plain_view_marks_a_cut_reply_and_prints_it_once() -> None:
    lines = plain_lines([ev.Transcript("user", "Tell me a story.", True),
                         ev.Transcript("agent", "Once upon a time there was a keeper.", False),
                         ev.Interrupted(1.0, "Once upon a"),
                         ev.Notice("Tell me cancelled: the user spoke over the agent"),
                         ev.TurnComplete(2, None)])
    assert lines == ["user: Tell me a story.", "agent: Once upon a [interrupted]",
                     "note: Tell me cancelled: the user spoke over the agent"]
