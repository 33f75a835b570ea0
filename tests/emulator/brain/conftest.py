"""Setups for the generic brain, compiled from real persona files exactly as the client sends them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from voicecli.emulator.brain import GenericBrain
from voicecli.persona import load_persona
from voicecli.persona.instructions import compile_instructions, function_declarations, greeting_prompt

ROOT = Path(__file__).resolve().parents[3]
LAURA = ROOT / "personas" / "laura.yaml"
PIZZA = Path(__file__).parent / "fixtures" / "pizza.yaml"


@dataclass(frozen=True)
class Setup:
    instruction: str
    declarations: list[dict[str, Any]]
    greeting: str

    def brain(self) -> GenericBrain:
        return GenericBrain(self.instruction, self.declarations)


def compiled(path: Path) -> Setup:
    persona = load_persona(path)
    return Setup(compile_instructions(persona), function_declarations(persona), greeting_prompt(persona))


@pytest.fixture(scope="session")
def laura() -> Setup:
    return compiled(LAURA)


@pytest.fixture(scope="session")
def pizza() -> Setup:
    return compiled(PIZZA)
