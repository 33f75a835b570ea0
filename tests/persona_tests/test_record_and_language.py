"""Reading an event stream into turns and lines; the small language identifier."""

from __future__ import annotations

import pytest

from tests.persona_tests.conftest import Stream
from voicecli.persona_tests.language_id import identify


def test_replies_belong_to_the_turn_under_way_when_they_began() -> None:
    record = (Stream().agent("Hi, I'm", complete=False).user("stop").interrupted().complete()
              .agent("Sure, go on.", latency_ms=120.0)
              .user("Book me.").agent("Let me check.", complete=False).call("get_next_appointment", {"client_id": "c"})
              .agent("Let me check. Nothing booked.", latency_ms=300.0).record())
    assert [(turn.number, turn.user_turn, turn.interrupted) for turn in record.agent_turns] == [
        (1, 0, True), (2, 1, False), (3, 2, False)]
    assert record.user_turns[0].cut_off is record.agent_turns[0]
    assert record.user_turns[1].cut_off is None
    assert [call.user_turn for call in record.calls] == [2]
    assert record.latencies_ms == [120.0, 300.0]
    assert [(line.role, line.text) for line in record.lines] == [
        ("agent", "Hi, I'm"),
        ("user", "stop"),
        ("note", "interrupted; the user heard: Hi"),
        ("agent", "Sure, go on."),
        ("user", "Book me."),
        ("agent", "Let me check."),
        ("tool", "get_next_appointment(client_id='c')"),
        ("tool", "get_next_appointment -> ok"),
        ("agent", "Nothing booked."),  # after a tool line, only the words said after it
    ]


def test_a_reply_cut_by_the_end_of_the_run_still_counts() -> None:
    record = Stream().agent("Hi there, I was saying", complete=False).record(5)
    assert [turn.text for turn in record.agent_turns] == ["Hi there, I was saying"]
    assert not record.finished and record.started


@pytest.mark.parametrize(("text", "language"), [
    ("Hi, I'm Laura. Could you tell me your full name, date of birth and state?", "en"),
    ("Booking it now.", "en"),
    ("Let me check your appointments. The first open slot is 2026-12-02T09:30:00-05:00.", "en"),
    ("Hola Ana, ¿en qué puedo ayudarte hoy?", "es"),
    ("Gracias, Ana. Voy a crear tu perfil.", "es"),
    ("Bonjour, je suis Laura. Comment puis-je vous aider ?", "fr"),
    ("Das ist sehr gut, danke.", "de"),
    ("Ciao, come posso aiutarti oggi?", "it"),
    ("Olá, como posso ajudar?", "pt"),
    ("Hallo, hoe kan ik je helpen?", "nl"),
    ("Привет, как дела?", "ru"),
    ("OK", None),
    ("2026-12-02", None),
    ("Ana Lopez", None),
])
def test_identify(text: str, language: str | None) -> None:
    assert identify(text) == language
