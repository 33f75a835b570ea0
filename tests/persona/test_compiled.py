"""The validator's core schema kept as source (``voicecli/persona/core_schema.py``): in sync with the
declaration, used when current, and validating exactly as the validator pydantic builds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from voicecli.errors import PersonaError
from voicecli.persona import compiled, load_persona
from voicecli.persona.compiled import SNAPSHOT, render_core_schema

UPDATE = os.environ.get("VOICECLI_UPDATE_SNAPSHOTS") == "1"
LAURA = Path(__file__).resolve().parents[2] / "personas" / "laura.yaml"


@pytest.fixture
def fresh_validator() -> Iterator[None]:
    compiled.document_validator.cache_clear()
    yield
    compiled.document_validator.cache_clear()


def test_snapshot_is_in_sync_with_the_declaration() -> None:
    actual = render_core_schema()
    if UPDATE:
        SNAPSHOT.write_text(actual, encoding="utf-8")
    assert actual == SNAPSHOT.read_text(encoding="utf-8"), (
        "voicecli/persona/core_schema.py changed; rerun with VOICECLI_UPDATE_SNAPSHOTS=1"
    )
    assert compiled.snapshot_is_current()


def test_loading_a_persona_imports_pydantic_core_but_not_pydantic() -> None:
    code = (
        "import sys\n"
        "from voicecli.persona import load_persona\n"
        f"load_persona({str(LAURA)!r})\n"
        "print('pydantic' in sys.modules, 'pydantic_core' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


def _problems(path: Path) -> list[str]:
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    return caught.value.problems


def _bad_document(samples: Any) -> dict[str, Any]:
    document = samples.base_document()
    document["persona"]["name"] = 42
    document["persona"]["nickname"] = "S"
    document["guardrails"]["examples"] = [{"if": " ", "than": "y"}]
    document["tools"][0]["handler"] = {"python": "not a binding", "timeout_s": 0}
    document["tools"].append({"builtin": "google_search", "name": "x"})
    document["handoffs"] = [{"to": "laura", "summary": "yes"}, {"when": "never"}]
    document["mcp_servers"] = [{"name": "n", "url": "ftp://x", "tools": []}]
    document["session"] = {"thinking": {"level": "low", "budget": 3}, "compression": {"trigger_tokens": 1.5}}
    return document


def test_a_stale_snapshot_is_never_used(tmp_path: Path, samples: Any, monkeypatch: pytest.MonkeyPatch,
                                        fresh_validator: None) -> None:
    path = samples.write(tmp_path, _bad_document(samples))
    from_snapshot = _problems(path)
    monkeypatch.setattr(compiled, "declaration_digest", lambda: "crc32:00000000:0")
    compiled.document_validator.cache_clear()
    assert not compiled.snapshot_is_current()
    assert compiled.document_validator() is compiled.document_adapter().validator
    # pydantic's own validator finds the same problems, in the same words.
    assert _problems(path) == from_snapshot
    assert len(from_snapshot) >= 10
