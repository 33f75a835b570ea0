"""The loaded persona: plain frozen dataclasses the rest of voicecli reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from voicecli.persona.source import SourceMap

DEFAULT_TOOL_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class PersonaInfo:
    name: str | None = None
    role: str | None = None
    description: str | None = None
    traits: list[str] = field(default_factory=list)
    language: str | None = None  # BCP-47
    accent: str | None = None
    voice: str | None = None


@dataclass(frozen=True)
class Greeting:
    text: str
    facts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    instructions: str
    title: str | None = None
    kind: Literal["once", "loop"] = "once"
    tools: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Example:
    situation: str
    response: str


@dataclass(frozen=True)
class Guardrails:
    must_not: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)


@dataclass(frozen=True)
class HandlerBinding:
    """Exactly one of ``python`` ("module:function") or ``command`` (argv) is set."""

    python: str | None = None
    command: list[str] | None = None
    timeout_s: float | None = None


@dataclass(frozen=True)
class ToolSpec:
    name: str
    handler: HandlerBinding
    description: str | None = None
    when: str | None = None
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    behavior: Literal["blocking", "non_blocking"] = "blocking"
    timeout_s: float = DEFAULT_TOOL_TIMEOUT_S


@dataclass(frozen=True)
class Compression:
    trigger_tokens: int | None = None
    target_tokens: int | None = None


@dataclass(frozen=True)
class Session:
    model: str | None = None
    vad: Literal["server", "local"] = "server"
    compression: Compression = field(default_factory=Compression)
    input_transcription_languages: list[str] = field(default_factory=list)
    output_transcription_languages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Persona:
    path: Path
    persona: PersonaInfo
    session: Session
    greeting: Greeting | None = None
    rules: list[Step] = field(default_factory=list)
    guardrails: Guardrails | None = None
    tools: list[ToolSpec] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # top-level keys, in file order
    source: SourceMap | None = None

    @property
    def name(self) -> str:
        """The persona's name, or the file's stem when the file gives none."""
        return self.persona.name or self.path.stem

    @property
    def folder(self) -> Path:
        return self.path.parent

    def tool(self, name: str) -> ToolSpec | None:
        return next((tool for tool in self.tools if tool.name == name), None)
