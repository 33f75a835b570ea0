"""The persona talk would load, and the model it would ask for, looked up in the capability table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voicecli.doctor.account import BACKEND_LABELS
from voicecli.doctor.check import Check, failed, passed, warned
from voicecli.errors import PersonaError
from voicecli.live.backends import Backend
from voicecli.live.config import DEFAULT_MODELS
from voicecli.live.models import MODEL_CAPABILITIES, capabilities

if TYPE_CHECKING:
    from voicecli.persona import Persona


def persona_check(name: str) -> tuple[Check, Persona | None]:
    from voicecli.persona import load_persona

    try:
        persona = load_persona(name)
    except PersonaError as error:
        problems = f" ({error.problems[0]}{' and more' if len(error.problems) > 1 else ''})" if error.problems else ""
        return failed("persona", f"{error.message}{problems}",
                      error.hint or f"run `voicecli lint-persona {name}` to see every problem"), None
    return passed("persona", f"{persona.name} ({persona.path})", path=str(persona.path)), persona


def chosen_model(flag: str | None, persona: Persona | None, backend: Backend) -> str:
    """The model talk would use: --model, else the persona's, else the backend's default."""
    return flag or (persona.session.model if persona is not None else None) or DEFAULT_MODELS[backend]


def model_check(model: str, backend: Backend) -> Check:
    row = capabilities(model)
    label = BACKEND_LABELS[backend]
    if row is None:
        served = ", ".join(sorted(m for m, r in MODEL_CAPABILITIES.items() if backend in r.backends))
        return warned("model", f"{model} is not in voicecli's model table: talk sends its setup unchecked",
                      f"if the handshake below fails, pick one of: {served}", model=model)
    if backend not in row.backends:
        other: Backend = "vertex" if backend == "developer" else "developer"
        return failed("model", f"{row.model_id} is served on {BACKEND_LABELS[other]} only, not on {label}",
                      f"use --model {DEFAULT_MODELS[backend]}, or --backend {other}", model=row.model_id)
    tools = "non-blocking tools" if row.non_blocking else "blocking tools only"
    modalities = "/".join(sorted(row.modalities)).lower()
    return passed("model", f"{row.model_id} on {label}: {modalities} replies, {tools}", model=row.model_id)
