"""Declarations derived from Python handler signatures, and handlers called with keyword arguments."""

from __future__ import annotations

import datetime as dt
import enum
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

import pytest
import yaml
from google.genai import types
from pydantic import BaseModel, Field

from voicecli.persona import load_persona
from voicecli.tools import ToolRuntime
from voicecli.tools.signatures import (
    ArgumentError,
    SignatureError,
    call_arguments,
    describe_function,
    describe_python_handler,
    takes_arguments_dict,
)


class Channel(enum.Enum):
    EMAIL = "email"
    SMS = "sms"


@dataclass
class Slot:
    """An appointment slot.

    Attributes:
        start: When it starts, ISO 8601.
        minutes: How long it lasts.
    """

    start: str
    minutes: int = 45
    notes: list[str] = field(default_factory=list)


class Address(TypedDict):
    street: str
    city: str


class Contact(BaseModel):
    name: str = Field(description="Full name")
    phone: str | None = None


def book(
    client_id: str,
    slot: Slot,
    *,
    channel: Channel = Channel.EMAIL,
    mood: Literal["calm", "rushed"] | None = None,
    attendees: list[str] | None = None,
    weight: float = 1.0,
    confirmed: bool = False,
    day: dt.date | None = None,
    address: Address | None = None,
    contact: Contact | None = None,
    note: Annotated[str, "A note for the coach."] = "",
) -> dict[str, Any]:
    """Book a slot for a client.

    Args:
        client_id: The id create_client_profile returned.
        slot: The slot the user confirmed.
        channel: How to send the confirmation.
    """
    return {}


def test_types_and_docstring_become_a_declaration() -> None:
    description, parameters = describe_function(book)
    assert description == "Book a slot for a client."
    assert parameters["required"] == ["client_id", "slot"]
    properties = parameters["properties"]
    assert properties["client_id"] == {"type": "string", "description": "The id create_client_profile returned."}
    assert properties["slot"] == {
        "type": "object",
        "properties": {
            "start": {"type": "string", "description": "When it starts, ISO 8601."},
            "minutes": {"type": "integer", "description": "How long it lasts."},
            "notes": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["start"],
        "description": "The slot the user confirmed.",
    }
    assert properties["channel"] == {
        "type": "string",
        "enum": ["email", "sms"],
        "description": "How to send the confirmation.",
    }
    assert properties["mood"] == {"type": "string", "enum": ["calm", "rushed"], "nullable": True}
    assert properties["attendees"] == {"type": "array", "items": {"type": "string"}, "nullable": True}
    assert properties["weight"] == {"type": "number"}
    assert properties["confirmed"] == {"type": "boolean"}
    assert properties["day"] == {"type": "string", "description": "a date, YYYY-MM-DD", "nullable": True}
    assert properties["address"]["properties"] == {"street": {"type": "string"}, "city": {"type": "string"}}
    assert properties["address"]["required"] == ["street", "city"]
    assert properties["contact"]["properties"]["name"] == {"type": "string", "description": "Full name"}
    assert properties["contact"]["nullable"] is True
    assert properties["note"] == {"type": "string", "description": "A note for the coach."}
    types.FunctionDeclaration.model_validate({"name": "book", "description": description, "parameters": parameters})


def test_no_parameters_and_no_docstring() -> None:
    def ping() -> str:
        return "pong"

    assert describe_function(ping) == (None, {"type": "object", "properties": {}})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(city, country: str): ...", "f: parameter 'city' has no type hint"),
        ("def f(city: str, *more: str): ...", "f: parameter 'more' collects any arguments"),
        ("def f(city: str, /): ...", "f: parameter 'city' is positional-only"),
        ("def f(city: str, extra: Any): ...", "f: parameter 'extra' has type Any"),
        ("def f(city: str, labels: dict[str, str]): ...", "f: parameter 'labels' is a dict with free keys"),
        ("def f(city: str, codes: Literal[1, 2]): ...", "f: parameter 'codes' is a Literal of values other"),
        ("def f(city: str, pair: tuple[str, int]): ...", "f: parameter 'pair' is a fixed-length tuple"),
        ("def f(city: str, things: list): ...", "f: parameter 'things' is a list without an item type"),
        ("def f(city: str, when: 'Nowhere'): ...", "f: parameter 'when' has a type hint that does not resolve"),
        ("def f(city: str, path: Path): ...", "f: parameter 'path' has type Path, which cannot be declared"),
        ("def f(args): ...", "f takes the whole arguments dict"),
        ("def f(args: dict[str, Any]): ...", "f takes the whole arguments dict"),
    ],
)
def test_what_cannot_be_described_names_the_parameter(source: str, message: str) -> None:
    namespace: dict[str, Any] = {"Any": Any, "Literal": Literal, "Path": Path}
    exec(source, namespace)  # noqa: S102 - a one-line handler under test
    with pytest.raises(SignatureError, match="^" + re.escape(message)):
        describe_function(namespace["f"])


def test_recursive_dataclass_is_refused() -> None:
    @dataclass
    class Node:
        name: str
        children: list[Node]

    def f(root: Node) -> None: ...

    f.__annotations__["root"] = Node
    Node.__annotations__["children"] = list[Node]
    with pytest.raises(SignatureError, match="parameter 'root' refers to Node inside itself"):
        describe_function(f)


def test_the_two_calling_forms_are_told_apart() -> None:
    def old(args: dict[str, Any]) -> None: ...
    def untyped(args):  # type: ignore[no-untyped-def]  # noqa: ANN001
        ...
    def new(city: str) -> None: ...
    def nothing() -> None: ...
    def typed_dict(address: Address) -> None: ...

    assert takes_arguments_dict(old) and takes_arguments_dict(untyped)
    assert not takes_arguments_dict(new) and not takes_arguments_dict(nothing)
    assert not takes_arguments_dict(typed_dict)


def test_call_arguments_build_the_declared_types() -> None:
    kwargs = call_arguments(
        book,
        {"client_id": "c1", "slot": {"start": "2030-01-01T09:30"}, "channel": "sms", "weight": 2, "day": "2030-01-02"},
    )
    assert kwargs["slot"] == Slot(start="2030-01-01T09:30")
    assert kwargs["channel"] is Channel.SMS
    assert kwargs["weight"] == 2.0 and isinstance(kwargs["weight"], float)
    assert kwargs["day"] == dt.date(2030, 1, 2)
    contact = call_arguments(book, {"client_id": "c", "slot": {"start": "x"}, "contact": {"name": "Ann"}})["contact"]
    assert contact == Contact(name="Ann")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"client_id": "c1"}, "missing a required argument: 'slot'"),
        ({"client_id": "c1", "slot": {"start": "x"}, "colour": "red"}, "got an unexpected keyword argument 'colour'"),
        ({"client_id": "c1", "slot": {"start": "x"}, "channel": "fax"}, "argument 'channel': 'fax' is not a valid"),
    ],
)
def test_call_arguments_that_do_not_fit(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        call_arguments(book, args)


MODULE = textwrap.dedent(
    '''
    from __future__ import annotations

    import asyncio
    from typing import Literal

    def weather(city: str, units: Literal["metric", "imperial"] = "metric") -> dict:
        """Today's weather in a city.

        Parameters
        ----------
        city : str
            The city, as the user named it.
        """
        return {"city": city, "units": units}

    async def forecast(city: str, days: int = 3) -> dict:
        """The forecast.

        :param city: The city.
        :param days: How many days ahead.
        """
        await asyncio.sleep(0)
        return {"city": city, "days": days}

    def legacy(args):
        return {"got": args}
    '''
)


def _persona(tmp_path: Path) -> Path:
    (tmp_path / "weather_tools.py").write_text(MODULE)
    tools = [
        {
            "name": name,
            "description": "A test tool.",
            "when": "when tested",
            "handler": {"python": f"weather_tools:{name}"},
            "parameters": {"type": "object", "properties": {}},
        }
        for name in ("weather", "forecast", "legacy")
    ]
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump({"persona": {"name": "W"}, "tools": tools}))
    return path


def test_describe_python_handler_loads_the_module_beside_the_persona(tmp_path: Path) -> None:
    _persona(tmp_path)
    description, parameters = describe_python_handler("weather_tools:weather", tmp_path)
    assert description == "Today's weather in a city."
    assert parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city, as the user named it."},
            "units": {"type": "string", "enum": ["metric", "imperial"]},
        },
        "required": ["city"],
    }
    assert describe_python_handler("weather_tools:forecast", tmp_path)[1]["properties"]["days"] == {
        "type": "integer",
        "description": "How many days ahead.",
    }
    with pytest.raises(LookupError, match="has no function 'nowhere'"):
        describe_python_handler("weather_tools:nowhere", tmp_path)
    with pytest.raises(LookupError, match="module 'absent' not found"):
        describe_python_handler("absent:f", tmp_path)


async def test_runtime_calls_typed_handlers_with_keywords(tmp_path: Path) -> None:
    runtime = ToolRuntime(load_persona(_persona(tmp_path)))
    assert (await runtime.run("1", "weather", {"city": "Oslo"})).response == {
        "output": {"city": "Oslo", "units": "metric"}
    }
    assert (await runtime.run("2", "forecast", {"city": "Oslo", "days": 5})).response == {
        "output": {"city": "Oslo", "days": 5}
    }
    assert (await runtime.run("3", "legacy", {"a": 1})).response == {"output": {"got": {"a": 1}}}
    refused = await runtime.run("4", "weather", {"city": "Oslo", "town": "Oslo"})
    assert refused.response["error"]["type"] == "bad_arguments"
    assert "town" in refused.response["error"]["message"]
