"""Handoffs, named agents, guards' notes, grounding sources, typed lines and push-to-talk in the views."""

from __future__ import annotations

import io
import json

from rich.console import Console

from voicecli import events as ev
from voicecli.terminal import LineEdited, LineTyped, TalkEnd, TalkStart
from voicecli.ui.live_view import JsonLinesView, PlainView, RichLiveView, StatusLine, event_to_json


def console(width: int = 120) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False, highlight=False)


def screen(view: RichLiveView) -> list[str]:
    out = view.console
    assert isinstance(out.file, io.StringIO)
    out.file.seek(0)
    out.file.truncate()
    out.print(view.render())
    return [line.rstrip() for line in out.file.getvalue().splitlines()]


HANDOFF = [
    ev.AgentChanged("Sam"),
    ev.Transcript("user", "I would like career coaching.", True),
    ev.Transcript("agent", "Let me transfer you to Laura.", False),
    ev.TurnComplete(1, None),
    ev.Handoff("Sam", "Laura", "the caller wants career coaching"),
    ev.AgentChanged("Laura"),
    ev.Transcript("agent", "Hi, Laura here.", False),
]


def test_a_handoff_is_a_line_and_each_agent_line_carries_its_name() -> None:
    view = RichLiveView(StatusLine(backend="emulator", model="m", connection="connected"), console=console(),
                        named_agents=True)
    for event in HANDOFF:
        view.handle(event)
    rows = screen(view)
    assert rows[:-1] == ["you  I would like career coaching.", "Sam  Let me transfer you to Laura.",
                         "handoff  Sam handed over to Laura: the caller wants career coaching",
                         "Laura  Hi, Laura here."]
    assert "  |  connected  |  Laura speaking  |  " in rows[-1]  # who is speaking, by name


def test_without_handoffs_the_agent_stays_agent() -> None:
    view = RichLiveView(StatusLine(backend="emulator", model="m", connection="connected"), console=console())
    for event in HANDOFF[:3]:
        view.handle(event)
    assert screen(view)[1] == "agent  Let me transfer you to Laura."


def test_plain_view_names_agents_and_prints_the_handoff_between_them() -> None:
    out = console(400)
    view = PlainView(out, named_agents=True)
    for event in [*HANDOFF, ev.TurnComplete(2, None)]:
        view.handle(event)
    view.stop()
    assert isinstance(out.file, io.StringIO)
    assert out.file.getvalue().splitlines() == [
        "user: I would like career coaching.", "Sam: Let me transfer you to Laura.",
        "handoff: Sam handed over to Laura: the caller wants career coaching", "Laura: Hi, Laura here."]


def test_guards_show_as_notes() -> None:
    view = RichLiveView(StatusLine(backend="emulator", model="m"), console=console())
    for event in [ev.Stall("nudge", False), ev.Stall("nudge", True), ev.Stall("gave_up", False),
                  ev.LanguageDrift("en", "es"), ev.HeardNote("[The user heard only: \"Hi\".]")]:
        view.handle(event)
    rows = screen(view)[:-1]
    assert rows == [
        "note  no answer from the agent; trying: nudge",
        "note  the agent is answering again (after: nudge)",
        "note  the agent is not answering; say something or type a line to try again",
        "note  the agent answered in es, not en; it was reminded of its language",
        'note  told the agent what you heard: [The user heard only: "Hi".]',
    ]


def test_grounding_sources_are_listed_under_the_agents_line() -> None:
    grounding = ev.Grounding((ev.GroundingSource("Example News", "https://example.com/a"),), ("weather today",))
    said = [ev.Transcript("agent", "Here's what I found.", False), grounding, ev.TurnComplete(1, None)]
    view = RichLiveView(StatusLine(backend="emulator", model="m"), console=console())
    for event in said:
        view.handle(event)
    assert screen(view)[:-1] == ["agent  Here's what I found.", "  source  Example News <https://example.com/a>"]
    assert event_to_json(grounding) == {"type": "grounding", "queries": ["weather today"],
                                        "sources": [{"title": "Example News", "uri": "https://example.com/a"}]}
    out = console(400)
    plain = PlainView(out)
    for event in said:
        plain.handle(event)
    assert isinstance(out.file, io.StringIO)
    assert out.file.getvalue().splitlines() == ["agent: Here's what I found.",
                                                "  source: Example News <https://example.com/a>"]


def test_typing_shows_in_the_status_line_then_as_a_typed_line() -> None:
    view = RichLiveView(StatusLine(backend="emulator", model="m", connection="connected", mode="text (no mic)"),
                        console=console())
    view.handle(LineEdited("Hello the"))
    assert "|  > Hello the  |" in screen(view)[-1]
    assert "text (no mic)" in view.status.render(120)
    view.handle(LineTyped("Hello there"))
    rows = screen(view)
    assert rows[0] == "you  Hello there  (typed)"
    assert ">" not in view.status.render(120)


def test_push_to_talk_shows_in_the_status_line() -> None:
    view = RichLiveView(StatusLine(backend="emulator", model="m", connection="connected"), console=console())
    view.handle(TalkStart())
    assert "|  talking (push-to-talk)  |" in view.status.render(120)
    view.handle(TalkEnd("key"))
    assert "|  idle  |" in view.status.render(120)


def test_json_forms() -> None:
    stream = io.StringIO()
    view = JsonLinesView(stream)
    for event in [ev.Handoff("Sam", "Laura", "coaching"), ev.AgentChanged("Laura"), ev.Stall("resume", True),
                  ev.LanguageDrift("en", "es"), ev.HeardNote("note"), LineTyped("hi"), TalkStart(),
                  TalkEnd("enter"), LineEdited("h")]:
        view.handle(event)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    for record in records:
        del record["t"]
    assert records == [
        {"type": "handoff", "from_agent": "Sam", "to_agent": "Laura", "reason": "coaching"},
        {"type": "agent", "name": "Laura"},
        {"type": "stall", "stage": "resume", "recovered": True},
        {"type": "language_drift", "expected": "en", "detected": "es"},
        {"type": "heard_note", "text": "note"},
        {"type": "transcript", "role": "user", "text": "hi", "final": True, "typed": True},
        {"type": "push_to_talk", "talking": True},
        {"type": "push_to_talk", "talking": False, "how": "enter"},
    ]  # a line being edited is not an event for scripts
