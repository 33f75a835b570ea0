"""Handoffs: the format, where a target is found, how a transfer compiles, and that a sound pair lints clean."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from voicecli.errors import PersonaError
from voicecli.paths import personas_dir
from voicecli.persona import Handoff, load_handoff_target, load_persona
from voicecli.persona.instructions import compile_instructions, function_declarations
from voicecli.persona.lint import lint_persona

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("VOICECLI_UPDATE_SNAPSHOTS") == "1"


def _matches_snapshot(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} changed; rerun with VOICECLI_UPDATE_SNAPSHOTS=1"


def _front_desk(samples: Any) -> dict[str, Any]:
    """Sam, turned into a front desk: a greeting step, then a step that hands over to Laura."""
    document = samples.base_document()
    document["persona"]["language"] = "en-US"
    document["rules"].append(
        {
            "title": "Transfer",
            "kind": "once",
            "instructions": "When the caller wants coaching, tell them Laura will take it from here.",
            "tools": ["transfer_to_laura"],
        }
    )
    document["handoffs"] = [
        {"to": "laura", "when": "the caller wants career coaching or asks for Laura", "facts": ["order_id"]},
        {"to": "billing/invoices.yaml", "when": "The caller asks about an invoice", "summary": False},
    ]
    return document


def _write_billing(folder: Path, samples: Any) -> Path:
    billing = samples.base_document()
    billing["persona"].update(name="Invoices", language="en-US")
    return samples.write(folder / "billing", billing, "invoices.yaml")


@pytest.mark.parametrize(
    ("target", "tool_name"),
    [
        ("laura", "transfer_to_laura"),
        ("front-desk", "transfer_to_front_desk"),
        ("../coaching/FrontDesk.yaml", "transfer_to_front_desk"),
        ("billing/invoices.yml", "transfer_to_invoices"),
        ("Billing Team", "transfer_to_billing_team"),
    ],
)
def test_tool_name_is_the_snake_case_target(target: str, tool_name: str) -> None:
    assert Handoff(target, "always").tool_name == tool_name


def test_handoffs_load_with_their_defaults(tmp_path: Path, samples: Any) -> None:
    persona = load_persona(samples.write(tmp_path, _front_desk(samples)))
    laura, billing = persona.handoffs
    assert laura == Handoff("laura", "the caller wants career coaching or asks for Laura", True, ["order_id"])
    assert (billing.summary, billing.facts, billing.language_switch) == (False, [], False)
    assert persona.handoff_for_tool("transfer_to_invoices") is billing
    assert persona.handoff_for_tool("lookup_order") is None


def test_a_target_is_found_beside_the_file_then_as_persona_finds_it(
    tmp_path: Path, samples: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    persona = load_persona(samples.write(tmp_path / "desk", _front_desk(samples)))
    laura, billing = persona.handoffs
    assert load_handoff_target(persona, laura).path == personas_dir() / "laura.yaml"  # the shipped one
    samples.write(tmp_path / "desk", samples.base_document(), "laura.yaml")  # beside the file wins
    assert load_handoff_target(persona, laura).path == tmp_path / "desk" / "laura.yaml"
    _write_billing(tmp_path / "desk", samples)  # a path is relative to the persona file, not the cwd
    assert load_handoff_target(persona, billing).name == "Invoices"


def test_a_missing_target_is_a_persona_error(tmp_path: Path, samples: Any) -> None:
    document = _front_desk(samples)
    document["handoffs"][0]["to"] = "nobody_by_that_name"
    persona = load_persona(samples.write(tmp_path, document))
    with pytest.raises(PersonaError, match="no persona has that name"):
        load_handoff_target(persona, persona.handoffs[0])
    with pytest.raises(PersonaError, match="not a file"):
        load_handoff_target(persona, persona.handoffs[1])


def test_handoffs_compile_to_declarations_and_rule_sentences(tmp_path: Path, samples: Any) -> None:
    persona = load_persona(samples.write(tmp_path, _front_desk(samples)))
    text = compile_instructions(persona)
    declarations = function_declarations(persona)
    _matches_snapshot(SNAPSHOTS / "front_desk_instructions.txt", text)
    _matches_snapshot(SNAPSHOTS / "front_desk_declarations.json", json.dumps(declarations, indent=2) + "\n")
    # The step names transfer_to_laura: its sentence is there, once; the other handoff is usable at any step.
    assert text.count("Call the `transfer_to_laura` tool when the caller wants career coaching") == 1
    assert "## At any step\nCall the `transfer_to_invoices` tool when the caller asks about an invoice." in text
    transfer = next(d for d in declarations if d["name"] == "transfer_to_laura")
    assert "Call it when the caller wants career coaching or asks for Laura." in transfer["description"]
    assert transfer["parameters"]["properties"].keys() == {"reason"}
    assert "required" not in transfer["parameters"]


def test_a_sound_handoff_lints_clean(tmp_path: Path, samples: Any) -> None:
    _write_billing(tmp_path, samples)
    assert lint_persona(load_persona(samples.write(tmp_path, _front_desk(samples)))) == []


def test_an_explicit_language_switch_is_allowed(tmp_path: Path, samples: Any) -> None:
    _write_billing(tmp_path, samples)
    document = _front_desk(samples)
    document["persona"]["language"] = "es-ES"
    codes = [f.code for f in lint_persona(load_persona(samples.write(tmp_path, document)))]
    assert codes == ["VC404", "VC404"]
    for handoff in document["handoffs"]:
        handoff["language_switch"] = True
    assert lint_persona(load_persona(samples.write(tmp_path, document))) == []


def test_a_loop_broken_by_a_user_turn_is_fine(tmp_path: Path, samples: Any) -> None:
    """Two personas that hand over to each other from a later step: the user speaks in between."""
    for name, other in (("sam", "desk"), ("desk", "sam")):
        document = samples.base_document()
        document["persona"]["name"] = name.capitalize()
        document["rules"].append({"instructions": "Offer the other desk.", "tools": [f"transfer_to_{other}"]})
        document["handoffs"] = [{"to": other, "when": f"the user asks for {other}"}]
        samples.write(tmp_path, document, f"{name}.yaml")
    assert lint_persona(load_persona(tmp_path / "sam.yaml")) == []
    desk = load_persona(tmp_path / "desk.yaml")
    document = samples.base_document()
    document["rules"][0]["tools"].insert(0, "transfer_to_desk")  # now Sam hands over on arrival...
    document["handoffs"] = [{"to": "desk", "when": "always"}]
    samples.write(tmp_path, document)
    assert [f.code for f in lint_persona(desk)] == []  # ...but Desk waits for the user, so no loop
    desk_first = samples.base_document()
    desk_first["persona"]["name"] = "Desk"
    desk_first["rules"][0]["tools"].insert(0, "transfer_to_sam")
    desk_first["handoffs"] = [{"to": "sam", "when": "always"}]
    samples.write(tmp_path, desk_first, "desk.yaml")
    loop = [f for f in lint_persona(load_persona(tmp_path / "sam.yaml")) if f.code == "VC405"]
    assert len(loop) == 1 and "Sam -> Desk -> Sam" in loop[0].message
