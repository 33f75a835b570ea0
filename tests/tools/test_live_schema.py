"""JSON Schema -> the Live API's parameter schema, and the problems reported for what cannot be expressed."""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import types

from voicecli.persona.lint import UNSUPPORTED_SCHEMA_KEYWORDS
from voicecli.tools.live_schema import schema_problems, to_live_schema

# What pydantic (and so an MCPServer) writes for add_note(text, tags: list[str] | None, reminder: Reminder | None).
PYDANTIC_STYLE = {
    "type": "object",
    "title": "add_noteArguments",
    "$defs": {
        "Reminder": {
            "title": "Reminder",
            "type": "object",
            "description": "When and how to remind the user.",
            "properties": {
                "at": {"title": "At", "type": "string", "format": "date-time", "description": "When"},
                "channel": {"title": "Channel", "type": "string", "enum": ["email", "sms"], "default": "email"},
            },
            "required": ["at"],
            "additionalProperties": False,
        }
    },
    "properties": {
        "text": {"title": "Text", "type": "string"},
        "tags": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}], "default": None},
        "reminder": {"anyOf": [{"$ref": "#/$defs/Reminder"}, {"type": "null"}], "default": None},
    },
    "required": ["text"],
}


def _keywords(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = set(schema)
        for key, value in schema.items():
            if key == "properties":
                for child in value.values():
                    found |= _keywords(child)
            else:
                found |= _keywords(value)
        return found
    if isinstance(schema, list):
        return set().union(*map(_keywords, schema)) if schema else set()
    return set()


def _accepted(schema: dict[str, Any]) -> dict[str, Any]:
    """The converted schema passes the SDK's own validation and uses no keyword the API rejects."""
    types.FunctionDeclaration.model_validate({"name": "f", "parameters": schema})
    assert not _keywords(schema) & UNSUPPORTED_SCHEMA_KEYWORDS
    return schema


def test_pydantic_style_schema_converts_without_loss() -> None:
    schema, problems = to_live_schema(PYDANTIC_STYLE)
    assert problems == []
    assert _accepted(schema) == {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}, "nullable": True},
            "reminder": {
                "type": "object",
                "properties": {
                    "at": {"type": "string", "format": "date-time", "description": "When"},
                    "channel": {"type": "string", "enum": ["email", "sms"], "description": "(default: email)"},
                },
                "required": ["at"],
                "description": "When and how to remind the user.",
                "nullable": True,
            },
        },
        "required": ["text"],
    }


def test_the_source_schema_is_not_modified() -> None:
    before = repr(PYDANTIC_STYLE)
    to_live_schema(PYDANTIC_STYLE)
    assert repr(PYDANTIC_STYLE) == before


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"type": ["string", "null"]}, {"type": "string", "nullable": True}),
        ({"type": "string", "const": "yes"}, {"type": "string", "enum": ["yes"]}),
        ({"type": "string", "format": "email"}, {"type": "string", "description": "(format: email)"}),
        ({"type": "number", "format": "double"}, {"type": "number", "format": "double"}),
        (
            {"type": "integer", "exclusiveMinimum": 0, "description": "How many."},
            {"type": "integer", "description": "How many. (greater than 0)"},
        ),
        ({"enum": ["a", "b", None]}, {"type": "string", "enum": ["a", "b"], "nullable": True}),
        (
            {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}]},
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        ),
        (
            {"anyOf": [{"type": "string"}, {"type": "integer"}], "description": "An id."},
            {"anyOf": [{"type": "string"}, {"type": "integer"}], "description": "An id."},
        ),
        ({"type": "string", "title": "X", "examples": ["x"], "$comment": "c"}, {"type": "string"}),
    ],
)
def test_translations_that_lose_nothing(node: dict[str, Any], expected: dict[str, Any]) -> None:
    schema, problems = to_live_schema({"type": "object", "properties": {"x": node}})
    assert problems == []
    assert _accepted(schema)["properties"]["x"] == expected


@pytest.mark.parametrize(
    ("node", "problem"),
    [
        ({"type": "object", "additionalProperties": {"type": "string"}}, "x: takes free-form keys"),
        ({}, "x: accepts any value"),
        ({"type": "integer", "enum": [1, 2, 3]}, "x: an enum of values other than strings"),
        ({"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}, "x: a tuple"),
        ({"type": "array"}, "x: an array without items"),
        ({"type": "string", "not": {"enum": ["a"]}}, "x: not cannot be expressed"),
        ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, "x: oneOf is declared as anyOf"),
        ({"$ref": "#/$defs/Missing"}, "x: refers to #/$defs/Missing, which is not in the schema"),
        ({"type": "date"}, "x: has the unknown type date"),
    ],
)
def test_what_cannot_be_expressed_is_reported_and_the_rest_still_accepted(node: dict[str, Any], problem: str) -> None:
    schema, problems = to_live_schema({"type": "object", "properties": {"x": node}})
    assert len(problems) == 1 and problems[0].startswith(problem), problems
    _accepted(schema)
    assert schema_problems({"type": "object", "properties": {"x": node}}) == problems


def test_a_recursive_schema_is_cut_where_it_refers_to_itself() -> None:
    tree = {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
            }
        },
    }
    schema, problems = to_live_schema(tree)
    assert problems == ["root.children[]: refers to itself (#/$defs/Node); declared as an object without properties"]
    children = _accepted(schema)["properties"]["root"]["properties"]["children"]
    assert children["items"] == {"type": "object", "properties": {}}


def test_parameters_that_are_not_an_object() -> None:
    schema, problems = to_live_schema({"type": "string"})
    assert schema == {"type": "object", "properties": {}}
    assert problems == ["parameters: the parameters are not an object; declared as an object without properties"]
    assert to_live_schema({"type": "object"}) == ({"type": "object", "properties": {}}, [])


def test_required_names_missing_from_properties_are_left_out() -> None:
    schema, _ = to_live_schema({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "b"]})
    assert schema["required"] == ["a"]
