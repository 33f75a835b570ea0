"""The persona file's JSON Schema (``docs/persona.schema.json``), generated from the model in ``model.py``.

After changing the model, run ``VOICECLI_UPDATE_SNAPSHOTS=1 pytest tests/persona`` to rewrite the doc.
"""

from __future__ import annotations

import json
from typing import Any

SECTION_ORDER = ("persona", "greeting", "rules", "guardrails", "tools", "mcp_servers", "handoffs", "session")


def _without_titles(node: Any) -> Any:
    # pydantic titles every property after its name; the descriptions say more, and editors show those.
    if isinstance(node, dict):
        return {key: _without_titles(value) for key, value in node.items()
                if not (key == "title" and isinstance(value, str))}
    if isinstance(node, list):
        return [_without_titles(item) for item in node]
    return node


def document_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a persona file, for editors."""
    from voicecli.persona.compiled import document_adapter  # pydantic: imported only when asked for

    schema = _without_titles(document_adapter().json_schema(mode="validation"))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://voicecli.dev/persona.schema.json",
        "title": "voicecli persona",
        **schema,
    }


def render_document_schema() -> str:
    return json.dumps(document_schema(), indent=2) + "\n"
