from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from voicecli.paths import personas_dir
from voicecli.persona import load_persona
from voicecli.persona.lint import MAX_STEP_WORDS, RULES, lint_persona

Mutation = Callable[[dict[str, Any]], object]


def _codes(tmp_path: Path, document: dict[str, Any], samples: Any) -> set[str]:
    return {finding.code for finding in lint_persona(load_persona(samples.write(tmp_path, document)))}


def _tool(document: dict[str, Any]) -> dict[str, Any]:
    tool: dict[str, Any] = document["tools"][0]
    return tool


def _reorder(document: dict[str, Any]) -> None:
    rules = document.pop("rules")
    persona = document.pop("persona")
    document["rules"] = rules
    document["persona"] = persona


def _second_tool(document: dict[str, Any]) -> dict[str, Any]:
    extra = dict(_tool(document))
    extra["name"] = "cancel_order"
    document["tools"].append(extra)
    return extra


BAD_EXAMPLES: dict[str, Mutation] = {
    "VC101": lambda d: d["persona"].pop("name"),
    "VC102": lambda d: d["persona"].pop("role"),
    "VC103": lambda d: d.pop("rules"),
    "VC104": _reorder,
    "VC105": lambda d: (d["persona"].pop("language"), d["persona"].update(accent="Scottish")),
    "VC106": lambda d: d["persona"].update(language="en_GB"),
    "VC107": lambda d: d.pop("greeting"),
    "VC108": lambda d: d.pop("guardrails"),
    "VC201": lambda d: d["rules"][0]["tools"].append("refund_order"),
    "VC202": _second_tool,
    "VC203": lambda d: (
        _second_tool(d),
        d["rules"][0].update(instructions="Call lookup_order and cancel_order at the same time."),
    ),
    "VC204": lambda d: d["rules"][0].update(instructions="word " * (MAX_STEP_WORDS + 1)),
    "VC301": lambda d: _tool(d).pop("when"),
    "VC302": lambda d: _tool(d).update(description="Looks up orders."),
    "VC303": lambda d: _tool(d)["parameters"]["properties"]["order_id"].pop("description"),
    "VC304": lambda d: _tool(d)["parameters"]["required"].append("customer_id"),
    "VC305": lambda d: _tool(d)["parameters"].update(type="dict"),
    "VC306": lambda d: _tool(d)["parameters"].update(additionalProperties=False),
    "VC307": lambda d: (_tool(d).update(name="lookupOrder"), d["rules"][0].update(tools=["lookupOrder"])),
    "VC308": lambda d: _second_tool(d).update(name="lookup_order"),
    "VC309": lambda d: _tool(d)["handler"].update(python="shop_tools:refund_order"),
}


def test_every_rule_has_a_bad_example() -> None:
    assert set(BAD_EXAMPLES) == set(RULES)


def test_the_base_sample_is_clean(tmp_path: Path, samples: Any) -> None:
    assert _codes(tmp_path, samples.base_document(), samples) == set()


@pytest.mark.parametrize("code", sorted(BAD_EXAMPLES))
def test_rule_fires_on_its_bad_example(tmp_path: Path, code: str, samples: Any) -> None:
    document = samples.base_document()
    BAD_EXAMPLES[code](document)
    assert code in _codes(tmp_path, document, samples)


def test_laura_is_clean_even_with_warnings() -> None:
    assert lint_persona(load_persona(personas_dir() / "laura.yaml")) == []


def test_findings_point_at_the_offending_line(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    _tool(document)["parameters"].update(additionalProperties=False)
    path = samples.write(tmp_path, document)
    finding = next(f for f in lint_persona(load_persona(path)) if f.code == "VC306")
    line = path.read_text().splitlines()[finding.line - 1]
    assert "additionalProperties" in line
    assert finding.severity == "error"


def test_nested_schema_problems_are_found(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    _tool(document)["parameters"]["properties"]["lines"] = {
        "type": "array",
        "description": "Order lines.",
        "items": {"type": "object", "properties": {"sku": {"type": "string"}}, "$ref": "#/x"},
    }
    assert {"VC303", "VC306"} <= _codes(tmp_path, document, samples)


def test_command_binding_is_checked_without_running(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    _tool(document)["handler"] = {"command": ["./missing-tool.sh"]}
    assert "VC309" in _codes(tmp_path, document, samples)
    _tool(document)["handler"] = {"command": ["true"]}
    assert "VC309" not in _codes(tmp_path, document, samples)


def test_the_linter_never_imports_the_handler_module(tmp_path: Path, samples: Any) -> None:
    marker = tmp_path / "imported"
    path = samples.write(tmp_path, samples.base_document())
    (tmp_path / "shop_tools.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef lookup_order(args):\n    return {{}}\n"
    )
    assert lint_persona(load_persona(path)) == []
    assert not marker.exists()


def test_every_rule_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "lint-rules.md").read_text()
    documented = set(re.findall(r"^## (VC\d{3})\b", docs, flags=re.MULTILINE))
    assert documented == set(RULES)
    for code, rule in RULES.items():
        section = docs.split(f"## {code}", 1)[1].split("\n## ", 1)[0]
        assert rule.name in section
        assert "Bad" in section and "Good" in section, code
