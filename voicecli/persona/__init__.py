"""Personas: YAML files describing one agent each, loaded strictly and compiled to system instructions.

This package imports no other part of voicecli except ``errors`` and ``paths`` (and, lazily,
``tools.signatures`` to describe Python handlers that omit their description or parameters).
"""

from voicecli.persona.handoffs import load_handoff_target
from voicecli.persona.loader import load_persona, resolve_persona_path
from voicecli.persona.model import Handoff, McpServer, McpToolChoice, Persona, ToolSpec

__all__ = [
    "Handoff",
    "McpServer",
    "McpToolChoice",
    "Persona",
    "ToolSpec",
    "load_handoff_target",
    "load_persona",
    "resolve_persona_path",
]
