from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
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


def _desk(folder: Path, samples: Any, **changes: Any) -> None:
    """A second persona beside sam.yaml, for handoffs to point at."""
    desk = samples.base_document()
    desk["persona"].update(name="Desk", **changes)
    samples.write(folder, desk, "desk.yaml")


def _hand_to_desk(document: dict[str, Any], folder: Path, samples: Any, **changes: Any) -> None:
    _desk(folder, samples, **changes)
    document["handoffs"] = [{"to": "desk", "when": "the user asks for the desk"}]


def _arrival_loop(document: dict[str, Any], folder: Path, samples: Any) -> None:
    desk = samples.base_document()
    desk["persona"]["name"] = "Desk"
    desk["rules"][0]["tools"].append("transfer_to_sam")
    desk["handoffs"] = [{"to": "sam.yaml", "when": "always"}]
    samples.write(folder, desk, "desk.yaml")
    document["rules"][0]["tools"].insert(0, "transfer_to_desk")
    document["handoffs"] = [{"to": "desk", "when": "always"}]


# Handoff rules need a second persona file: these mutate the document and write beside it.
HANDOFF_EXAMPLES: dict[str, Callable[[dict[str, Any], Path, Any], object]] = {
    "VC401": lambda d, folder, samples: d.update(handoffs=[{"to": "nobody_here", "when": "always"}]),
    "VC402": lambda d, folder, samples: _hand_to_desk(d, folder, samples, role=None),
    "VC403": lambda d, folder, samples: (_hand_to_desk(d, folder, samples), d["handoffs"][0].pop("when")),
    "VC404": lambda d, folder, samples: _hand_to_desk(d, folder, samples, language="fr-FR"),
    "VC405": _arrival_loop,
    "VC406": lambda d, folder, samples: (_hand_to_desk(d, folder, samples), _tool(d).update(name="transfer_to_desk"),
                                         d["rules"][0].update(tools=["transfer_to_desk"])),
}


MCP_SERVER = Path(__file__).parent / "mcp_lint_server.py"


def _labels(document: dict[str, Any], tools: list[str], command: list[str] | None = None) -> None:
    document["mcp_servers"] = [{
        "name": "labels",
        "command": command or [sys.executable, str(MCP_SERVER)],
        "tools": [{"name": name, "when": "the user asks to label something"} for name in tools],
    }]


# Rules that need the MCP servers listed (lint-persona --mcp): each starts a real server.
MCP_EXAMPLES: dict[str, Mutation] = {
    "VC310": lambda d: _labels(d, ["add_label", "set_labels"]),  # set_labels takes free-form keys
    "VC311": lambda d: _labels(d, ["add_label", "remove_label"]),  # the server has no remove_label
}


def _lint_with_mcp(path: Path, *flags: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-c", "from voicecli.cli.main import run; run()", "lint-persona", *flags,
         "--format", "json", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    findings: list[dict[str, Any]] = json.loads(result.stdout)["files"][0]["findings"]
    return findings


def test_every_rule_has_a_bad_example() -> None:
    examples = [set(BAD_EXAMPLES), set(HANDOFF_EXAMPLES), set(MCP_EXAMPLES)]
    assert sum(len(codes) for codes in examples) == len(set().union(*examples))  # no code twice
    assert set().union(*examples) == set(RULES)


@pytest.mark.skipif(importlib.util.find_spec("mcp") is None, reason="the mcp package is not installed")
def test_mcp_rules_fire_only_when_the_servers_are_listed(tmp_path: Path, samples: Any) -> None:
    for code, mutation in MCP_EXAMPLES.items():
        document = samples.base_document()
        mutation(document)
        path = samples.write(tmp_path, document)
        assert _lint_with_mcp(path) == []  # without --mcp no server is started
        found = _lint_with_mcp(path, "--mcp")
        assert [finding["code"] for finding in found] == [code], found
        lines = path.read_text().splitlines()
        assert "mcp_servers" in lines[found[0]["line"] - 1] or "name:" in lines[found[0]["line"] - 1]
    document = samples.base_document()
    _labels(document, ["add_label"])
    assert _lint_with_mcp(samples.write(tmp_path, document), "--mcp") == []  # a server that fits is clean


@pytest.mark.parametrize("code", sorted(HANDOFF_EXAMPLES))
def test_handoff_rule_fires_on_its_bad_example(tmp_path: Path, code: str, samples: Any) -> None:
    document = samples.base_document()
    HANDOFF_EXAMPLES[code](document, tmp_path, samples)
    assert code in _codes(tmp_path, document, samples)


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
