from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from voicecli.paths import personas_dir
from voicecli.persona import load_persona
from voicecli.persona.instructions import compile_instructions, function_declarations, greeting_prompt
from voicecli.persona.schema import render_document_schema

SNAPSHOTS = Path(__file__).parent / "snapshots"
SCHEMA_DOC = Path(__file__).resolve().parents[2] / "docs" / "persona.schema.json"
UPDATE = os.environ.get("VOICECLI_UPDATE_SNAPSHOTS") == "1"


def _matches_snapshot(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), (
        f"{path.name} changed; rerun with VOICECLI_UPDATE_SNAPSHOTS=1"
    )


def test_laura_compiles_to_the_snapshot() -> None:
    laura = load_persona(personas_dir() / "laura.yaml")
    _matches_snapshot(SNAPSHOTS / "laura_instructions.txt", compile_instructions(laura))
    declarations = json.dumps(function_declarations(laura), indent=2) + "\n"
    _matches_snapshot(SNAPSHOTS / "laura_declarations.json", declarations)
    _matches_snapshot(SNAPSHOTS / "laura_greeting.txt", greeting_prompt(laura) + "\n")


def test_schema_doc_is_in_sync_with_the_loader() -> None:
    _matches_snapshot(SCHEMA_DOC, render_document_schema())


def test_sections_come_in_order_and_steps_are_marked(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["rules"].append({"title": "Chat", "kind": "loop", "instructions": "Chat about the order."})
    text = compile_instructions(load_persona(samples.write(tmp_path, document)))
    persona_at, rules_at, guardrails_at = (
        text.index(h) for h in ("# Persona", "# Conversational", "# Guardrails")
    )
    assert persona_at < rules_at < guardrails_at
    assert "## Step 1: Look up\nOne-time step" in text
    assert "## Step 2: Chat\nOpen-ended loop" in text
    assert "Call the `lookup_order` tool once the user has given an order number." in text
    assert "RESPOND IN ENGLISH. YOU MUST RESPOND UNMISTAKABLY IN ENGLISH." in text


def test_compiling_is_deterministic(tmp_path: Path, samples: Any) -> None:
    path = samples.write(tmp_path, samples.base_document())
    assert compile_instructions(load_persona(path)) == compile_instructions(load_persona(path))


@pytest.mark.parametrize(("language", "directive"), [("fr-CA", "FRENCH"), ("pt-BR", "PORTUGUESE")])
def test_language_directive(tmp_path: Path, language: str, directive: str, samples: Any) -> None:
    document = samples.base_document()
    document["persona"].update(language=language, accent="Quebec")
    text = compile_instructions(load_persona(samples.write(tmp_path, document)))
    assert f"RESPOND IN {directive}. YOU MUST RESPOND UNMISTAKABLY IN {directive}." in text
    assert "Speak with a Quebec accent." in text


def test_no_language_means_no_directive(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    del document["persona"]["language"]
    assert "RESPOND IN" not in compile_instructions(load_persona(samples.write(tmp_path, document)))


def test_declarations_fold_the_condition_and_mark_non_blocking(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["tools"][0]["behavior"] = "non_blocking"
    (declaration,) = function_declarations(load_persona(samples.write(tmp_path, document)))
    assert declaration["description"].endswith("Call it once the user has given an order number.")
    assert declaration["behavior"] == "NON_BLOCKING"
    assert set(declaration) == {"name", "description", "parameters", "behavior"}
    assert "behavior" not in function_declarations(load_persona(personas_dir() / "laura.yaml"))[0]


def test_greeting_prompt_carries_known_facts(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["greeting"]["facts"] = {"first_name": "Ada", "last_order": "A-1"}
    prompt = greeting_prompt(load_persona(samples.write(tmp_path, document)))
    assert "Say hello and ask for the order number." in prompt
    assert "- first name: Ada" in prompt
    assert "- last order: A-1" in prompt
