"""Arguments from words by parameter schema, and declarations read from the wire's shapes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicecli.emulator.brain.declarations import Param, declarations_in, read_param, read_tool
from voicecli.emulator.brain.extract import extract, kind_of, list_items, pick_option, read_name

FULL_NAME = Param("full_name", description='The client\'s full name as they said it, e.g. "Maria Lopez".')
BIRTH = Param("date_of_birth", description="Date of birth as YYYY-MM-DD.")
STATE = Param("state", description="The US state the client lives in, as a name or a two-letter code.")
ITEMS = Param("action_items", "array", "Each agreed step as a short imperative sentence.", items=Param("item"))
SIZE = Param("size", enum=("small", "medium", "large"), description="Pizza size.")
DELIVERY = Param("delivery", "boolean", "Whether to deliver the order (false means pickup).")


def value(param: Param, text: str, **options: Any) -> Any:
    found = extract(param, text, **options)
    return None if found is None else found.value


@pytest.mark.parametrize(
    ("param", "kind"),
    [(FULL_NAME, "person_name"), (BIRTH, "date"), (STATE, "us_state"), (ITEMS, "array"), (SIZE, "enum"),
     (DELIVERY, "boolean"), (Param("email"), "email"), (Param("phone_number"), "phone"),
     (Param("state", description="The state of the order, open or closed."), "string"),
     (Param("file_name"), "string"), (Param("start", description="Exactly as returned by x."), "string")],
)
def test_parameters_are_read_by_kind(param: Param, kind: str) -> None:
    assert kind_of(param) == kind


def test_laura_intake_in_one_sentence() -> None:
    said = "My name is Ana Lopez, I was born on March 3rd 1990, and I live in Texas."
    assert value(FULL_NAME, said) == "Ana Lopez"
    assert value(BIRTH, said) == "1990-03-03"
    assert value(STATE, said) == "TX"


def test_laura_intake_as_a_recogniser_writes_it() -> None:
    said = "my name is ana lopez i was born on march third nineteen ninety and i live in texas"
    assert (value(FULL_NAME, said), value(BIRTH, said), value(STATE, said)) == ("ana lopez", "1990-03-03", "TX")


def test_state_is_a_name_unless_the_schema_wants_a_code() -> None:
    plain = Param("state", description="The US state the user lives in.")
    assert value(plain, "I live in Ohio") == "Ohio"
    assert value(Param("state", max_length=2), "Ohio") == "OH"
    assert value(Param("state", enum=("OH", "TX")), "I live in ohio") == "OH"


@pytest.mark.parametrize(
    ("param", "said", "expected"),
    [
        (Param("temperature", "number"), "set the thermostat to twenty one degrees", 21),
        (Param("temperature", "number"), "make it 21.5", 21.5),
        (Param("quantity", "integer", "How many pizzas."), "two large pizzas", 2),
        (Param("party_size", "integer", "Number of people."), "at 7 pm for 3 people", 3),
        (Param("count", "integer"), "born March 3rd 1990", None),  # numbers inside a date are the date's
    ],
)
def test_numbers_by_schema(param: Param, said: str, expected: Any) -> None:
    assert value(param, said) == expected


@pytest.mark.parametrize(
    ("said", "asked", "expected"),
    [("for delivery please", False, True), ("no delivery, I'll pick it up", False, False),
     ("have it delivered", False, True), ("yes please", True, True), ("no thanks", True, False),
     ("yes please", False, None)],
)
def test_booleans_from_the_parameter_name_or_a_yes_no_answer(said: str, asked: bool, expected: Any) -> None:
    assert value(DELIVERY, said, asked=asked) == expected


def test_enums_match_their_values_as_words() -> None:
    assert value(SIZE, "two LARGE pizzas") == "large"
    assert value(Param("mode", enum=("HEAT_COOL", "OFF")), "switch to heat cool") == "HEAT_COOL"
    assert value(SIZE, "the second one", asked=True) == "medium"
    assert value(SIZE, "a big one") is None


@pytest.mark.parametrize(
    ("said", "items"),
    [
        ("My next steps are to update my resume and ask for feedback.", ["update my resume", "ask for feedback"]),
        ("update my resume and ask for feedback", ["update my resume", "ask for feedback"]),
        ("Let's add these: walk daily, no email after 8 pm and read more.",
         ["walk daily", "no email after 8 pm", "read more"]),
        ("I'd like two large pizzas with mushrooms and olives, for delivery", ["mushrooms", "olives"]),
        ("Sure, I want to stop checking email at night and I'll take a walk",
         ["stop checking email at night", "take a walk"]),
    ],
)
def test_lists_said_as_a_series(said: str, items: list[str]) -> None:
    assert list_items(said) == items
    assert value(ITEMS, said) == items


_WORD = st.sampled_from(["call", "mum", "walk", "daily", "read", "books", "fix", "bike", "email", "boss"])


@given(st.lists(st.lists(_WORD, min_size=1, max_size=3).map(" ".join), min_size=2, max_size=5))
def test_any_series_of_items_comes_back_whole(items: list[str]) -> None:
    said = ", ".join(items[:-1]) + " and " + items[-1]
    assert list_items(said) == items


def test_one_item_is_a_list_only_as_an_answer() -> None:
    assert value(ITEMS, "update my resume") is None
    assert value(ITEMS, "update my resume", asked=True) == ["update my resume"]


def test_list_items_of_enum_and_number_types() -> None:
    toppings = Param("toppings", "array", items=Param("t", enum=("cheese", "ham", "olives")))
    assert value(toppings, "ham and olives please") == ["ham", "olives"]
    assert value(Param("ids", "array", items=Param("i", "integer")), "four, 7 and nine") == [4, 7, 9]


@pytest.mark.parametrize(
    ("said", "name"),
    [("My name is Ana Lopez, I live in Texas", "Ana Lopez"), ("call me jo", "jo"), ("I'm Ana.", "Ana"),
     ("my name's Will Smith and I'm stressed", "Will Smith"), ("I'm stressed at work", None),
     ("this is great", None)],
)
def test_names_are_read_where_they_are_introduced(said: str, name: str | None) -> None:
    assert read_name(said) == name


def test_name_parts_and_answers() -> None:
    assert value(Param("first_name"), "My name is Ana Lopez") == "Ana"
    assert value(Param("last_name"), "My name is Ana Lopez") == "Lopez"
    found = extract(FULL_NAME, "It's Ana Lopez.", asked=True)
    assert found is not None and (found.value, found.typed) == ("Ana Lopez", False)


@pytest.mark.parametrize(
    ("said", "email"),
    [("mail ana.lopez@example.com please", "ana.lopez@example.com"),
     ("it's ana dot lopez at example dot co dot uk", "ana.lopez@example.co.uk")],
)
def test_emails_written_or_spoken(said: str, email: str) -> None:
    assert value(Param("email"), said) == email


def test_phone_numbers_said_digit_by_digit() -> None:
    assert value(Param("phone"), "it's five five five, oh one two three") == "5550123"


def test_free_text_as_an_answer_or_after_a_cue() -> None:
    topic = Param("topic", description="What to look up.")
    assert value(topic, "Yes, the history of Rome please.", asked=True) == "the history of Rome"
    assert value(topic, "look up the history of Rome", cues=frozenset({"look"})) == "the history of Rome"
    assert value(Param("city"), "what's the weather in Paris?", cues=frozenset({"weather"})) == "Paris"
    assert value(topic, "the history of Rome") is None


def test_objects_collect_their_properties() -> None:
    where = read_param("where", {"type": "object", "properties": {
        "state": {"type": "string", "description": "US state code"}, "guests": {"type": "integer"}}})
    assert value(where, "four of us in Ohio") == {"state": "OH", "guests": 4}


@pytest.mark.parametrize(
    ("said", "picked"),
    [("the second one", "b"), ("yes, that works", "a"), ("the last one", "c"), ("no, none of those", None),
     ("hmm", None)],
)
def test_picking_one_of_the_offered_options(said: str, picked: str | None) -> None:
    assert pick_option(said, ["a", "b", "c"]) == picked


def test_picking_a_time_slot_by_weekday_and_hour() -> None:
    slots = ["2030-05-14T09:30:00-04:00", "2030-05-14T11:00:00-04:00", "2030-05-15T09:30:00-04:00"]
    assert pick_option("the eleven o'clock one", slots) == slots[1]
    assert pick_option("Wednesday at 9:30", slots) == slots[2]


def test_declarations_in_every_wire_shape() -> None:
    openapi = read_tool({"name": "set_thermostat", "behavior": "NON_BLOCKING", "parameters": {
        "type": "OBJECT", "properties": {"temperature": {"type": "NUMBER"}}, "required": ["temperature"]}})
    assert (openapi.params[0].type, openapi.required, openapi.blocking) == ("number", ("temperature",), False)
    schema = read_tool({"name": "f", "parametersJsonSchema": {"properties": {
        "note": {"type": ["string", "null"]}, "n": {"anyOf": [{"type": "null"}, {"type": "integer"}]}}}})
    assert [(p.name, p.type) for p in schema.params] == [("note", "string"), ("n", "integer")]
    tools = [{"googleSearch": {}}, {"functionDeclarations": [{"name": "a"}]},
             {"function_declarations": [{"name": "b"}]}]
    assert [d["name"] for d in declarations_in(tools)] == ["a", "b"]
