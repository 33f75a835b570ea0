"""Facts the user states, asked back later, and kept through a JSON round trip."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicecli.emulator.brain.memory import Fact, Memory


def test_facts_stated_are_answered_later() -> None:
    memory = Memory()
    learned = memory.learn("My favourite colour is green and I live in Ohio.")
    assert [fact.told() for fact in learned] == ["your favourite colour is green", "you live in Ohio"]
    answer = memory.recall("What's my favorite color?")
    assert answer is not None and answer.answer == "your favourite colour is green"
    where = memory.recall("where do I live?")
    assert where is not None and where.answer == "you live in Ohio"


@pytest.mark.parametrize(
    ("said", "question", "answer"),
    [("I was born in Denver.", "Where was I born?", "you were born in Denver"),
     ("I'm from Ohio", "where am I from?", "you are from Ohio"),
     ("my name's Ana", "do you remember my name?", "your name is Ana"),
     ("I work at a bakery, but I hate it", "where do I work", "you work at a bakery"),
     ("My kids are Sam and Jo.", "who are my kids?", "your kids are Sam and Jo")],
)
def test_the_shapes_of_facts(said: str, question: str, answer: str) -> None:
    memory = Memory()
    memory.learn(said)
    recall = memory.recall(question)
    assert recall is not None and recall.answer == answer


def test_a_newer_statement_replaces_the_older() -> None:
    memory = Memory()
    memory.learn("I live in Ohio.")
    memory.learn("Actually I live in Texas now.")
    recall = memory.recall("Where do I live?")
    assert recall is not None and recall.answer == "you live in Texas now"
    assert len(memory.facts) == 1


def test_questions_teach_nothing_and_unknowns_say_so() -> None:
    memory = Memory()
    assert memory.learn("Is my favourite colour green?") == []
    recall = memory.recall("What is my favourite colour?")
    assert recall is not None and recall.answer is None and recall.asked == "your favourite colour"
    assert memory.recall("My car is red.") is None  # a statement, not a question


def test_what_do_you_know_about_me_lists_everything() -> None:
    memory = Memory()
    memory.learn("My dog is Rex. I live in Utah.")
    recall = memory.recall("What do you know about me?")
    assert recall is not None and recall.answer == "your dog is Rex; you live in Utah"


_TEXT = st.text(alphabet="abcdefgh xyz", min_size=1, max_size=12).map(str.strip).filter(bool)


@given(st.lists(st.tuples(_TEXT, st.sampled_from(["is", "are", "live in"]), _TEXT), max_size=6))
def test_memory_survives_a_json_round_trip(rows: list[tuple[str, str, str]]) -> None:
    memory = Memory()
    for subject, verb, value in rows:
        memory.remember(Fact(subject if verb != "live in" else "", verb, value))
    again = Memory.from_list(json.loads(json.dumps(memory.to_list())))
    assert again.facts == memory.facts
