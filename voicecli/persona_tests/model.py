"""The test file format (``NAME.test.yaml``), declared once: these models validate it and make its JSON Schema.

After changing a field, run ``VOICECLI_UPDATE_SNAPSHOTS=1 pytest tests/persona_tests`` to rewrite
``docs/persona-test.schema.json``.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

NO_SCENARIO: Literal["none"] = "none"


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _compiled(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"{pattern!r} is not a valid regular expression: {error}") from None
    return patterns


# One regular expression or a list of them; each is searched for (re.search) in the agent's lines.
Patterns = Annotated[
    list[str],
    BeforeValidator(_as_list),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolExpect(_Strict):
    """A tool call to look for. A bare name matches any call of that tool."""

    name: str = Field(min_length=1, description="The tool's name.")
    args: dict[str, Any] | None = Field(default=None, description="Arguments to compare, as `args_match` says.")
    args_match: Literal["subset", "exact", "pattern"] = Field(
        default="subset",
        description="subset: the given keys have these values (others may be present); exact: the arguments "
        "are exactly these; pattern: like subset, but each text value is a regular expression the whole "
        "value must match.",
    )
    ok: bool | None = Field(default=None, description="true: the call must succeed; false: it must fail.")

    @model_validator(mode="before")
    @classmethod
    def _name_only(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _patterns_compile(self) -> ToolExpect:
        if self.args_match == "pattern" and self.args:
            _compiled(list(_strings_in(self.args)))
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core))
        as_object = dict(schema)
        schema.clear()
        schema["anyOf"] = [{"type": "string", "description": "A tool name: any call of it."}, as_object]
        return schema


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings_in(item)]
    return []


class ToolChecks(_Strict):
    """Checks a case and a turn share."""

    contains: Patterns = Field(default_factory=list, description="Each must match some agent line.")
    not_contains: Patterns = Field(default_factory=list, description="None may match any agent line.")
    tools_in_order: list[ToolExpect] = Field(
        default_factory=list, description="These calls, in this order (other calls may come between)."
    )
    tools_as_set: list[ToolExpect] = Field(default_factory=list, description="These calls, in any order.")
    tools_not_called: list[str] = Field(default_factory=list, description="Tools that must not be called.")
    language: str | None = Field(
        default=None,
        description="BCP-47 tag (en, en-US, es): every agent line must be in this language, and the persona "
        "must be set to speak it.",
    )

    @field_validator("contains", "not_contains")
    @classmethod
    def _valid_patterns(cls, patterns: list[str]) -> list[str]:
        return _compiled(patterns)

    @field_validator("language")
    @classmethod
    def _valid_language(cls, tag: str | None) -> str | None:
        from voicecli.persona.language import is_well_formed

        if tag is not None and not is_well_formed(tag):
            raise ValueError(f"{tag!r} is not a BCP-47 language tag such as en or en-US")
        return tag


class TurnExpect(ToolChecks):
    """What the agent's reply to this turn must do (the lines and calls until the next user turn)."""

    no_tools: bool = Field(default=False, description="The reply calls no tool at all.")
    interrupted: bool | None = Field(
        default=None, description="true: this turn cut the agent off (a barge-in); false: the agent had finished."
    )


class CaseExpect(ToolChecks):
    """What the whole run must do."""

    handoff: str | None = Field(
        default=None,
        description="A persona the agent hands over to: a call of handoff_to_NAME or transfer_to_NAME, or of a "
        "handoff/transfer tool with NAME as an argument.",
    )
    greetings: int | None = Field(default=None, ge=0, description="Exactly this many agent turns greet the user.")
    greeting_pattern: str | None = Field(
        default=None, description="Regular expression for a greeting (default: hello-like words or 'I'm NAME')."
    )
    max_agent_turns: int | None = Field(default=None, ge=1, description="At most this many agent turns.")
    latency_p95_ms: float | None = Field(
        default=None, gt=0, description="95th percentile of reply latency (end of user speech to first audio), in ms."
    )
    no_tool_failures: bool = Field(default=False, description="Every tool call succeeds.")
    within_s: float | None = Field(default=None, gt=0, description="The run ends within this many seconds.")

    @field_validator("greeting_pattern")
    @classmethod
    def _valid_greeting(cls, pattern: str | None) -> str | None:
        return None if pattern is None else _compiled([pattern])[0]


class Turn(_Strict):
    """One user turn: exactly one of say, text or input."""

    say: str | None = Field(default=None, min_length=1, description="Spoken: synthesised locally, sent as audio.")
    text: str | None = Field(default=None, min_length=1, description="Typed: sent as text.")
    input: str | None = Field(default=None, min_length=1, description="A WAV file, relative to the test file.")
    pause_ms: int = Field(default=0, ge=0, description="Wait this long after the agent's reply before this turn.")
    barge_in_ms: int | None = Field(
        default=None, ge=0, description="Speak this long after the agent starts its reply, instead of after it ends."
    )
    expect: TurnExpect | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Turn:
        given = [kind for kind in ("say", "text", "input") if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(f"a turn needs exactly one of say, text or input (got {', '.join(given) or 'none'})")
        return self

    @property
    def kind(self) -> Literal["say", "text", "input"]:
        return "say" if self.say is not None else "text" if self.text is not None else "input"

    @property
    def value(self) -> str:
        return self.say or self.text or self.input or ""


class RunSettings(_Strict):
    """Settings a case takes from `defaults` unless it gives its own."""

    repeat: int | None = Field(default=None, ge=1, description="Run the case this many times (default 1).")
    pass_rate: float | None = Field(
        default=None, gt=0, le=1, description="Share of runs that must pass (default 1): ceil(pass_rate x runs)."
    )
    timeout_s: float | None = Field(default=None, gt=0, description="Stop a run after this many seconds (default 120).")
    scenario: str | None = Field(
        default=None,
        description="Offline only: the emulator scenario, relative to the test file; 'none' for no scenario "
        "(the emulator's generic brain). Default: the persona's own NAME.scenario.yaml.",
    )
    greeting: bool | None = Field(default=None, description="Ask the agent to greet first (default true).")
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Environment for the run's tools; {run_dir} is the run's own scratch folder.",
    )


class Case(RunSettings):
    """One conversation to run and check."""

    name: str = Field(min_length=1, description="Unique within the file; -k selects by it.")
    description: str | None = None
    turns: list[Turn] = Field(default_factory=list, description="The user's turns, in order.")
    expect: CaseExpect = CaseExpect()


class PersonaTests(_Strict):
    """Regression tests for one persona."""

    persona: str | None = Field(
        default=None, description="The persona: a path relative to this file, or a NAME. Default: NAME.yaml beside it."
    )
    defaults: RunSettings = RunSettings()
    cases: list[Case] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> PersonaTests:
        seen: set[str] = set()
        for case in self.cases:
            if case.name in seen:
                raise ValueError(f"two cases are named {case.name!r}; -k and the report need unique names")
            seen.add(case.name)
        return self


def _without_titles(node: Any) -> Any:
    # pydantic adds a title to every property; the descriptions say more, and editors show those.
    if isinstance(node, dict):
        return {key: _without_titles(value) for key, value in node.items()
                if not (key == "title" and isinstance(value, str))}
    if isinstance(node, list):
        return [_without_titles(item) for item in node]
    return node


def document_schema() -> dict[str, Any]:
    schema = _without_titles(PersonaTests.model_json_schema())
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://voicecli.dev/persona-test.schema.json",
        "title": "voicecli persona tests",
        **schema,
    }


def render_document_schema() -> str:
    return json.dumps(document_schema(), indent=2) + "\n"
