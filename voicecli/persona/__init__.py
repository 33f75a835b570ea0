"""Personas: YAML files describing one agent each, loaded strictly and compiled to system instructions.

This package imports no other part of voicecli except ``errors`` and ``paths``.
"""

from voicecli.persona.loader import load_persona, resolve_persona_path
from voicecli.persona.model import Persona, ToolSpec

__all__ = ["Persona", "ToolSpec", "load_persona", "resolve_persona_path"]
