"""The persona file format as data: the validator walks it, and ``docs/persona.schema.json`` is made from it.

After changing a field, run ``VOICECLI_UPDATE_SNAPSHOTS=1 pytest tests/persona`` to rewrite the doc.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SECTION_ORDER = ("persona", "greeting", "rules", "guardrails", "tools", "session")


@dataclass(frozen=True)
class Field:
    """One node of the format.

    ``kind`` is string, integer, number, boolean, object, list, mapping (free keys) or schema (JSON Schema).
    """

    kind: str
    description: str
    required: bool = False
    fields: dict[str, Field] = field(default_factory=dict)  # object
    items: Field | None = None  # list
    values: Field | None = None  # mapping: free string keys, values of this shape
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    min_length: int = 0


def _text(description: str, *, required: bool = False, choices: tuple[str, ...] = ()) -> Field:
    return Field("string", description, required=required, choices=choices, min_length=1)


def _strings(description: str) -> Field:
    return Field("list", description, items=_text("one entry"))


PERSONA = Field(
    "object",
    "Who the agent is.",
    fields={
        "name": _text("The agent's name."),
        "role": _text("What the agent does, in one line."),
        "description": _text("Background and character, in prose."),
        "traits": _strings("Short personality traits, each a phrase."),
        "language": _text("BCP-47 language code the agent must speak, e.g. en-US."),
        "accent": _text("Accent to speak with; needs an explicit language."),
        "voice": _text("Prebuilt voice name, e.g. Kore."),
    },
)

GREETING = Field(
    "object",
    "How the agent opens the conversation (the Live API waits for the user unless asked to start).",
    fields={
        "text": _text("What the opening should do or say.", required=True),
        "facts": Field(
            "mapping", "Known facts about the user, to personalise the greeting.", values=_text("a fact")
        ),
    },
)

STEP = Field(
    "object",
    "One conversational step.",
    fields={
        "title": _text("A short name for the step."),
        "kind": _text(
            "once: a one-time element such as intake; loop: open-ended conversation the user may stay in.",
            choices=("once", "loop"),
        ),
        "instructions": _text("What the agent does in this step.", required=True),
        "tools": _strings("Tools this step invokes, in order."),
    },
)

GUARDRAILS = Field(
    "object",
    "What the agent must not do.",
    fields={
        "must_not": _strings("Things the agent must never do."),
        "examples": Field(
            "list",
            "If X happens, do Y.",
            items=Field(
                "object",
                "One situation and the response to it.",
                fields={
                    "if": _text("The situation.", required=True),
                    "then": _text("What to do.", required=True),
                },
            ),
        ),
    },
)

HANDLER = Field(
    "object",
    "How the tool runs: exactly one of python or command.",
    required=True,
    fields={
        "python": _text("module:function, the module file lying beside the persona file."),
        "command": Field(
            "list",
            "argv; JSON arguments on stdin, JSON result on stdout.",
            items=_text("an argument"),
            min_length=1,
        ),
        "timeout_s": Field("number", "Seconds before the call fails with a timeout.", minimum=0.001),
    },
)

TOOL = Field(
    "object",
    "A function the agent may call.",
    fields={
        "name": _text("snake_case function name.", required=True),
        "description": _text("What the function does."),
        "when": _text("The invocation condition: when the agent should call it."),
        "parameters": Field("schema", "JSON Schema object describing the arguments."),
        "behavior": _text(
            "blocking: the agent waits for the result; non_blocking: it keeps talking.",
            choices=("blocking", "non_blocking"),
        ),
        "timeout_s": Field("number", "Seconds before the call fails with a timeout.", minimum=0.001),
        "handler": HANDLER,
    },
)

SESSION = Field(
    "object",
    "Defaults for the conversation engine.",
    fields={
        "model": _text("Live model name; unset means the backend default."),
        "vad": _text("Who detects the user's speech: the server or voicecli.", choices=("server", "local")),
        "voice": _text("Prebuilt voice name (same as persona.voice)."),
        "compression": Field(
            "object",
            "Context window compression.",
            fields={
                "trigger_tokens": Field("integer", "Compress when the context reaches this size.", minimum=1),
                "target_tokens": Field("integer", "Size to compress down to.", minimum=1),
            },
        ),
        "input_transcription_languages": _strings("BCP-47 codes for transcribing the user."),
        "output_transcription_languages": _strings("BCP-47 codes for transcribing the agent."),
    },
)

DOCUMENT = Field(
    "object",
    "A voicecli persona: one agent per file.",
    fields={
        "persona": PERSONA,
        "greeting": GREETING,
        "rules": Field("list", "Conversational steps, in order.", items=STEP),
        "guardrails": GUARDRAILS,
        "tools": Field("list", "Functions the agent may call.", items=TOOL),
        "session": SESSION,
    },
)


def json_schema(spec: Field = DOCUMENT) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) equivalent of ``spec``, for editors."""
    out: dict[str, Any] = {"description": spec.description}
    if spec.kind == "object":
        out["type"] = "object"
        out["properties"] = {name: json_schema(child) for name, child in spec.fields.items()}
        required = [name for name, child in spec.fields.items() if child.required]
        if required:
            out["required"] = required
        out["additionalProperties"] = False
    elif spec.kind == "list":
        out["type"] = "array"
        if spec.items is not None:
            out["items"] = json_schema(spec.items)
        if spec.min_length:
            out["minItems"] = spec.min_length
    elif spec.kind == "mapping":
        out["type"] = "object"
        if spec.values is not None:
            out["additionalProperties"] = json_schema(spec.values)
    elif spec.kind == "schema":
        out["type"] = "object"
    else:
        out["type"] = spec.kind
        if spec.choices:
            out["enum"] = list(spec.choices)
        if spec.kind == "string" and spec.min_length:
            out["minLength"] = spec.min_length
        if spec.minimum is not None:
            out["exclusiveMinimum" if spec.minimum < 1 else "minimum"] = (
                0 if spec.minimum < 1 else spec.minimum
            )
    return out


def document_schema() -> dict[str, Any]:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://voicecli.dev/persona.schema.json",
        "title": "voicecli persona",
        **json_schema(DOCUMENT),
    }
    return schema


def render_document_schema() -> str:
    return json.dumps(document_schema(), indent=2) + "\n"
