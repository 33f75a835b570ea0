"""One declaration of the persona's shape: the loader, its messages and docs/persona.schema.json agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from voicecli.errors import PersonaError
from voicecli.paths import personas_dir
from voicecli.persona import load_persona
from voicecli.persona.schema import document_schema
from voicecli.persona.source import PathKey
from voicecli.persona.validate import known_keys

SCHEMA_DOC = Path(__file__).resolve().parents[2] / "docs" / "persona.schema.json"


def _objects(schema: dict[str, Any], node: dict[str, Any], path: PathKey) -> list[tuple[PathKey, set[str]]]:
    """(path, property names) of every object the schema describes, following $ref, items and anyOf."""
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    found: list[tuple[PathKey, set[str]]] = []
    for option in node.get("anyOf", []):
        found += _objects(schema, option, path)
    if "items" in node:
        found += _objects(schema, node["items"], (*path, 0))
    if node.get("type") == "object" and "properties" in node:
        found.append((path, set(node["properties"])))
        for name, child in node["properties"].items():
            found += _objects(schema, child, (*path, name))
    return found


def test_the_schema_and_the_loader_know_the_same_keys() -> None:
    schema = document_schema()
    objects = _objects(schema, schema, ())
    assert len(objects) >= 15  # every section and sub-object, not just the top
    for path, properties in objects:
        assert set(known_keys(path)) == properties, path


def test_shipped_personas_validate_against_the_published_schema(tmp_path: Path, samples: Any) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    published = json.loads(SCHEMA_DOC.read_text(encoding="utf-8"))
    for path in (personas_dir() / "laura.yaml", personas_dir() / "front_desk.yaml"):
        if path.is_file():
            jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), published)
    bad = {"persona": {"name": "Sam", "nickname": "S"}, "handoffs": [{"target": "laura"}]}
    errors = list(jsonschema.Draft202012Validator(published).iter_errors(bad))
    with pytest.raises(PersonaError) as caught:
        load_persona(samples.write(tmp_path, bad))
    # nickname and target unknown, to missing: the same three problems either way.
    assert len(errors) == len(caught.value.problems) == 3


def test_strict_types_are_never_coerced(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["persona"]["name"] = 42
    document["rules"][0]["tools"] = ["lookup_order", 7]
    document["handoffs"] = [{"to": "laura", "when": "asked", "summary": "yes"}]
    document["tools"][0]["timeout_s"] = True
    with pytest.raises(PersonaError) as caught:
        load_persona(samples.write(tmp_path, document))
    problems = "\n".join(caught.value.problems)
    assert "persona.name: expected a string, got an integer" in problems
    assert "rules[0].tools[1]: expected a string, got an integer" in problems
    assert "handoffs[0].summary: expected true or false, got a string" in problems
    assert "tools[0].timeout_s: expected a number, got a boolean" in problems
    assert len(caught.value.problems) == 4


def test_problems_come_in_file_order_with_file_spelling(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["guardrails"]["examples"] = [{"if": "x", "than": "y"}]
    document["tools"][0]["handler"] = {"python": "not a binding"}
    document["persona"]["voice"] = "Kore"
    document["session"] = {"voice": "Puck"}
    path = samples.write(tmp_path, document)
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    problems = caught.value.problems
    lines = [int(problem.split(":")[1]) for problem in problems]
    assert lines == sorted(lines)
    assert any("examples[0].than: unknown key 'than' (expected one of: if, then)" in p for p in problems)
    assert any("tools[0].handler.python: expected 'module:function', got 'not a binding'" in p for p in problems)


def test_an_explicit_null_means_unset(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["persona"]["traits"] = None
    document["tools"][0]["behavior"] = None
    document["session"] = {"compression": None, "thinking": None}
    persona = load_persona(samples.write(tmp_path, document))
    assert persona.persona.traits == [] and persona.tools[0].behavior == "blocking"
    assert persona.session.thinking is None and persona.session.compression.trigger_tokens is None
