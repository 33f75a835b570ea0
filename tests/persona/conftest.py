"""Fixtures: a small valid persona to mutate in tests, and a writer for persona files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

TOOL_MODULE = """
def lookup_order(args):
    return {"order_id": args["order_id"], "status": "shipped"}
"""


def base_document() -> dict[str, Any]:
    return copy.deepcopy(
        {
            "persona": {"name": "Sam", "role": "an order-status assistant", "language": "en-GB"},
            "greeting": {"text": "Say hello and ask for the order number."},
            "rules": [
                {
                    "title": "Look up",
                    "kind": "once",
                    "instructions": "Ask for the order number, then look the order up.",
                    "tools": ["lookup_order"],
                }
            ],
            "guardrails": {"must_not": ["share other customers' orders"]},
            "tools": [
                {
                    "name": "lookup_order",
                    "description": "Finds an order by its number and returns its shipping status.",
                    "when": "once the user has given an order number",
                    "parameters": {
                        "type": "object",
                        "properties": {"order_id": {"type": "string", "description": "The order number."}},
                        "required": ["order_id"],
                    },
                    "handler": {"python": "shop_tools:lookup_order"},
                }
            ],
        }
    )


def write_persona(folder: Path, document: Any, name: str = "sam.yaml", *, with_module: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    if with_module:
        (folder / "shop_tools.py").write_text(TOOL_MODULE, encoding="utf-8")
    return path


class Samples:
    """Handed to tests as the ``samples`` fixture (test modules cannot import each other here)."""

    base_document = staticmethod(base_document)
    write = staticmethod(write_persona)


@pytest.fixture
def samples() -> Samples:
    return Samples()
