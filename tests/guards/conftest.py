"""The labelled utterances (fixtures/utterances.txt), shared by the language tests."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "utterances.txt"


@pytest.fixture(scope="session")
def utterances() -> dict[str, dict[str, list[str]]]:
    """bucket ("s" or "m") -> language -> texts, in file order."""
    table: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for raw in FIXTURE.read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            language, bucket, text = raw.split("|", 2)
            table[bucket][language].append(text)
    return table
