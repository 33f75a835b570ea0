"""The persona linter: a catalogue of rules with stable codes, each documented in docs/lint-rules.md.

Rules read a loaded ``Persona`` and never import or run tool handlers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from voicecli.errors import PersonaError
from voicecli.persona.bindings import command_executable, python_binding_problem
from voicecli.persona.handoffs import arrival_loop, load_handoff_target
from voicecli.persona.instructions import compile_instructions
from voicecli.persona.language import is_well_formed, primary_language
from voicecli.persona.model import Handoff, Persona
from voicecli.persona.schema import SECTION_ORDER
from voicecli.persona.source import PathKey

Severity = Literal["error", "warning"]

# Above these sizes one system instruction tries to do too much; split it into chained prompts.
MAX_INSTRUCTION_WORDS = 1500
MAX_STEP_WORDS = 250
MIN_DESCRIPTION_WORDS = 6
REQUIRED_SECTIONS = ("persona", "rules")
JSON_SCHEMA_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}
# JSON Schema keywords the Live API refuses in function parameters (setup fails with close code 1007).
UNSUPPORTED_SCHEMA_KEYWORDS = {
    "additionalProperties",
    "patternProperties",
    "unevaluatedProperties",
    "$ref",
    "$defs",
    "definitions",
    "$schema",
    "$id",
    "allOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "const",
    "contains",
}
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_AT_ONCE = re.compile(
    r"\b(at once|at the same time|simultaneously|in parallel|all together)\b", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    file: str
    line: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("VC101", "persona-name-missing", "error", "The persona has no name."),
        Rule("VC102", "persona-role-missing", "error", "The persona has no role."),
        Rule("VC103", "section-missing", "error", "A required section (persona, rules) is missing."),
        Rule(
            "VC104",
            "section-order",
            "warning",
            "Sections are not in the order persona, greeting, rules, guardrails, tools, mcp_servers, "
            "handoffs, session.",
        ),
        Rule("VC105", "accent-without-language", "error", "An accent is set without an explicit language."),
        Rule("VC106", "invalid-language-code", "error", "A language code is not a valid BCP-47 tag."),
        Rule(
            "VC107", "greeting-missing", "warning", "No greeting: the agent will wait for the user to speak."
        ),
        Rule("VC108", "guardrails-missing", "warning", "No guardrails."),
        Rule("VC201", "step-uses-undeclared-tool", "error", "A step names a tool that is not declared."),
        Rule("VC202", "tool-unused", "warning", "A declared tool is not used by any step."),
        Rule(
            "VC203", "several-calls-in-one-step", "warning", "A step asks for several function calls at once."
        ),
        Rule(
            "VC204",
            "instructions-too-long",
            "warning",
            "The instructions are long enough that prompt chaining would serve better.",
        ),
        Rule("VC301", "tool-condition-missing", "error", "A tool has no invocation condition (when)."),
        Rule("VC302", "tool-description-vague", "warning", "A tool description is missing or too short."),
        Rule("VC303", "parameter-description-missing", "warning", "A parameter has no description."),
        Rule("VC304", "required-not-in-properties", "error", "A required name is missing from properties."),
        Rule(
            "VC305",
            "invalid-parameters-schema",
            "error",
            "The parameters are not a valid JSON Schema object.",
        ),
        Rule(
            "VC306",
            "unsupported-schema-keyword",
            "error",
            "The parameters use a JSON Schema keyword the Live API rejects.",
        ),
        Rule("VC307", "tool-name-not-snake-case", "error", "A tool name is not snake_case."),
        Rule("VC308", "tool-name-duplicate", "error", "Two tools share a name."),
        Rule("VC309", "handler-unresolved", "error", "A handler binding does not resolve."),
        Rule(
            "VC310",
            "mcp-schema-inexpressible",
            "warning",
            "Part of an MCP tool's input schema cannot be expressed to the Live API (lint-persona --mcp).",
        ),
        Rule(
            "VC311",
            "mcp-server-unavailable",
            "error",
            "An MCP server cannot be started, reached or listed, or lacks a chosen tool (lint-persona --mcp).",
        ),
        Rule("VC401", "handoff-target-missing", "error", "A handoff names a persona that cannot be loaded."),
        Rule("VC402", "handoff-target-not-clean", "error", "A handoff's target persona has lint errors."),
        Rule("VC403", "handoff-condition-missing", "error", "A handoff has no condition (when)."),
        Rule(
            "VC404",
            "handoff-language-mismatch",
            "error",
            "A handoff's target speaks another language and the switch is not marked explicit.",
        ),
        Rule(
            "VC405",
            "handoff-loop",
            "error",
            "Agents hand over to each other on arrival in a loop the user never gets a turn to break.",
        ),
        Rule("VC406", "handoff-name-clash", "error", "A handoff's transfer tool name is already taken."),
    )
}


class _Report:
    def __init__(self, persona: Persona, linting: frozenset[Path] = frozenset()) -> None:
        self.persona = persona
        self.linting = linting
        self.findings: list[Finding] = []

    def add(self, code: str, path: PathKey, message: str, severity: Severity | None = None) -> None:
        source = self.persona.source
        line = source.line_of(path) if source is not None else 1
        self.findings.append(
            Finding(code, severity or RULES[code].severity, message, str(self.persona.path), line)
        )


def _check_persona_block(report: _Report) -> None:
    persona, info = report.persona, report.persona.persona
    if "persona" in persona.sections:
        if not info.name:
            report.add("VC101", ("persona",), "persona.name is missing: give the agent a name")
        if not info.role:
            report.add("VC102", ("persona",), "persona.role is missing: say in one line what the agent does")
    if info.accent and not info.language:
        report.add("VC105", ("persona", "accent"), "accent is set but persona.language is not")
    codes: list[tuple[PathKey, str]] = []
    if info.language:
        codes.append((("persona", "language"), info.language))
    session_source = persona.source.lines if persona.source else {}
    for key in ("input_transcription_languages", "output_transcription_languages"):
        if ("session", key) in session_source:  # only codes written in the file, not defaults
            codes.extend(
                ((("session", key, index), code) for index, code in enumerate(getattr(persona.session, key)))
            )
    for path, code in codes:
        if not is_well_formed(code):
            report.add("VC106", path, f"{code!r} is not a BCP-47 language tag (for example en-US, pt-BR)")


def _check_sections(report: _Report) -> None:
    sections = report.persona.sections
    for name in REQUIRED_SECTIONS:
        if name not in sections:
            report.add("VC103", (), f"the '{name}' section is missing")
    if "greeting" not in sections:
        report.add("VC107", (), "no greeting: add one so the agent opens the conversation")
    guardrails = report.persona.guardrails
    if guardrails is None or not (guardrails.must_not or guardrails.examples):
        report.add("VC108", ("guardrails",), "no guardrails: say what the agent must not do")
    known = [name for name in sections if name in SECTION_ORDER]
    expected = sorted(known, key=SECTION_ORDER.index)
    if known != expected:
        first_wrong = next(a for a, b in zip(known, expected, strict=True) if a != b)
        report.add("VC104", (first_wrong,), f"sections should come in the order {', '.join(expected)}")


def _tool_names_in(text: str, names: set[str]) -> list[str]:
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)
    return list(dict.fromkeys(word for word in words if word in names))


def _late_names(persona: Persona) -> set[str]:
    """Names a step may list besides the declared tools: MCP tools (declared at start-up) and handoffs."""
    chosen = {choice.name for server in persona.mcp_servers for choice in server.tools}
    return chosen | {handoff.tool_name for handoff in persona.handoffs}


def _check_steps(report: _Report) -> None:
    persona = report.persona
    declared = {tool.name for tool in persona.tools} | _late_names(persona)
    used: set[str] = set()
    for index, step in enumerate(persona.rules):
        for position, name in enumerate(step.tools):
            used.add(name)
            if name not in declared:
                report.add(
                    "VC201", ("rules", index, "tools", position), f"step uses undeclared tool {name!r}"
                )
        used.update(_tool_names_in(step.instructions, declared))
        for sentence in _SENTENCE_END.split(step.instructions):
            named = _tool_names_in(sentence, declared)
            if len(named) > 1 or (named and _AT_ONCE.search(sentence)):
                report.add(
                    "VC203",
                    ("rules", index, "instructions"),
                    f"one sentence asks for {', '.join(named)} together: give each call its own sentence",
                )
            elif _AT_ONCE.search(sentence) and re.search(r"\b(call|tools?|functions?)\b", sentence, re.I):
                report.add(
                    "VC203",
                    ("rules", index, "instructions"),
                    "the step asks for several function calls at once: make them one at a time",
                )
        words = len(step.instructions.split())
        if words > MAX_STEP_WORDS:
            report.add(
                "VC204",
                ("rules", index, "instructions"),
                f"step has {words} words (limit {MAX_STEP_WORDS}): split it or chain prompts",
            )
    for index, tool in enumerate(persona.tools):
        if tool.name not in used and tool.builtin is None:  # built-in tools may be used at any step
            report.add("VC202", ("tools", index, "name"), f"tool {tool.name!r} is not used by any step")
    words = len(compile_instructions(persona).split())
    if words > MAX_INSTRUCTION_WORDS:
        report.add(
            "VC204",
            ("rules",),
            f"compiled instruction has {words} words (limit {MAX_INSTRUCTION_WORDS}): chain prompts",
        )


def _check_schema(report: _Report, schema: Any, path: PathKey, *, top: bool) -> None:
    """Structural checks of one JSON Schema node, recursing into properties and items."""
    if not isinstance(schema, dict):
        report.add("VC305", path, "a schema must be a mapping")
        return
    for keyword in sorted(set(schema) & UNSUPPORTED_SCHEMA_KEYWORDS):
        report.add("VC306", (*path, keyword), f"the Live API rejects the JSON Schema keyword {keyword!r}")
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if kind is None and "anyOf" not in schema and "enum" not in schema:
        report.add("VC305", path, "schema has no 'type'")
    elif kind is not None and not all(isinstance(k, str) and k in JSON_SCHEMA_TYPES for k in kinds):
        report.add("VC305", (*path, "type"), f"unknown type {kind!r}")
    if top and kind != "object":
        report.add("VC305", path, "parameters must be a schema with type: object")
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        report.add("VC305", (*path, "enum"), "enum must be a non-empty list")
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        report.add("VC305", (*path, "properties"), "properties must be a mapping")
        properties = {}
    for name, child in properties.items():
        child_path = (*path, "properties", name)
        if isinstance(child, dict) and not str(child.get("description", "")).strip():
            report.add("VC303", child_path, f"parameter {name!r} has no description")
        _check_schema(report, child, child_path, top=False)
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        report.add("VC305", (*path, "required"), "required must be a list of property names")
    else:
        for name in required:
            if name not in properties:
                report.add("VC304", (*path, "required"), f"required name {name!r} is not in properties")
    if "array" in kinds:
        if "items" not in schema:
            report.add("VC305", path, "an array schema needs 'items'")
        else:
            _check_schema(report, schema["items"], (*path, "items"), top=False)
    for index, option in enumerate(schema.get("anyOf", []) if isinstance(schema.get("anyOf"), list) else []):
        _check_schema(report, option, (*path, "anyOf", index), top=False)


def _check_tools(report: _Report) -> None:
    persona = report.persona
    seen: set[str] = set()
    for index, tool in enumerate(persona.tools):
        at: PathKey = ("tools", index)
        if not SNAKE_CASE.match(tool.name):
            report.add("VC307", (*at, "name"), f"tool name {tool.name!r} is not snake_case")
        if tool.name in seen:
            report.add("VC308", (*at, "name"), f"tool name {tool.name!r} is declared twice")
        seen.add(tool.name)
        if not tool.when:
            report.add("VC301", at, f"tool {tool.name!r} has no 'when': say when the agent should call it")
        if tool.builtin is not None:
            continue
        if not tool.description:
            report.add("VC302", at, f"tool {tool.name!r} has no description", severity="error")
        elif len(tool.description.split()) < MIN_DESCRIPTION_WORDS:
            report.add(
                "VC302",
                (*at, "description"),
                f"description of {tool.name!r} is too short to guide the model "
                f"(fewer than {MIN_DESCRIPTION_WORDS} words)",
            )
        _check_schema(report, tool.parameters, (*at, "parameters"), top=True)
        _check_handler(report, index)


def _check_handler(report: _Report, index: int) -> None:
    handler = report.persona.tools[index].handler
    folder = report.persona.folder
    if handler is None:
        return
    if handler.python is not None:
        problem = python_binding_problem(folder, handler.python)
        if problem:
            report.add("VC309", ("tools", index, "handler", "python"), problem)
    elif handler.command:
        program = handler.command[0]
        if command_executable(folder, program) is None:
            report.add(
                "VC309",
                ("tools", index, "handler", "command"),
                f"command {program!r} is not an executable file or on PATH",
            )


def _check_mcp_servers(report: _Report) -> None:
    for index, server in enumerate(report.persona.mcp_servers):
        at: PathKey = ("mcp_servers", index)
        for position, choice in enumerate(server.tools):
            if not choice.when:
                report.add(
                    "VC301",
                    (*at, "tools", position),
                    f"MCP tool {choice.name!r} has no 'when': say when the agent should call it",
                )
        if server.command and command_executable(report.persona.folder, server.command[0]) is None:
            report.add(
                "VC309",
                (*at, "command"),
                f"command {server.command[0]!r} is not an executable file or on PATH",
            )


def _check_handoffs(report: _Report) -> None:
    persona = report.persona
    taken = {tool.name for tool in persona.tools} | {
        choice.name for server in persona.mcp_servers for choice in server.tools
    }
    for index, handoff in enumerate(persona.handoffs):
        at: PathKey = ("handoffs", index)
        if not handoff.when:
            report.add("VC403", at, f"handoff to {handoff.target!r} has no 'when': say when to transfer")
        if handoff.tool_name in taken:
            report.add(
                "VC406", (*at, "to"), f"{handoff.tool_name!r} is already the name of a tool or another handoff"
            )
        taken.add(handoff.tool_name)
        try:
            target = load_handoff_target(persona, handoff)
        except PersonaError as error:
            detail = f": {error.problems[0]}" if error.problems else ""
            report.add("VC401", (*at, "to"), f"{error.message}{detail}")
            continue
        _check_target_language(report, handoff, target, at)
        if target.path.resolve() not in report.linting:
            errors = [
                finding
                for finding in lint_persona(target, _linting=report.linting)
                if finding.severity == "error"
            ]
            if errors:
                first = errors[0]
                report.add(
                    "VC402",
                    (*at, "to"),
                    f"{target.path} has {len(errors)} lint error(s), first {first.code} at line "
                    f"{first.line}: {first.message}",
                )
    loop = arrival_loop(persona) if persona.handoffs else None
    if loop:
        report.add(
            "VC405",
            ("handoffs",),
            f"{' -> '.join(loop)} each hand over as soon as they take over: the user never gets a turn; "
            "let the first step of one of them talk with the user before transferring",
        )


def _check_target_language(report: _Report, handoff: Handoff, target: Persona, at: PathKey) -> None:
    ours, theirs = report.persona.persona.language, target.persona.language
    same = (primary_language(ours) if ours else None) == (primary_language(theirs) if theirs else None)
    if not same and not handoff.language_switch:
        report.add(
            "VC404",
            at,
            f"{target.name} speaks {theirs or 'no set language'} and this persona {ours or 'no set language'}: "
            "match them, or set language_switch: true if the switch is intended",
        )


CHECKS: tuple[Callable[[_Report], None], ...] = (
    _check_sections,
    _check_persona_block,
    _check_steps,
    _check_tools,
    _check_mcp_servers,
    _check_handoffs,
)


def mcp_findings(persona: Persona, notices: list[str], failure: str | None = None) -> list[Finding]:
    """Findings from listing the persona's MCP servers (``lint-persona --mcp`` does the listing).

    ``notices`` are ``"server.tool: where: what"`` lines of schema the Live API cannot express;
    ``failure`` says why the servers could not all be listed.
    """
    report = _Report(persona)
    index = {server.name: position for position, server in enumerate(persona.mcp_servers)}
    for notice in notices:
        qualified, _, problem = notice.partition(": ")
        server, _, tool = qualified.partition(".")
        position = index.get(server)
        where: PathKey = ("mcp_servers",) if position is None else ("mcp_servers", position)
        if position is not None:
            chosen = [choice.name for choice in persona.mcp_servers[position].tools]
            if tool in chosen:
                where = (*where, "tools", chosen.index(tool))
        report.add("VC310", where, f"MCP tool {qualified}: {problem}")
    if failure:
        report.add("VC311", ("mcp_servers",), failure)
    return report.findings


def lint_persona(persona: Persona, *, _linting: frozenset[Path] = frozenset()) -> list[Finding]:
    """Every finding for ``persona``, sorted by line.

    ``_linting`` holds the personas already being linted up a chain of handoffs, so a loop of handoffs
    lints each persona once.
    """
    report = _Report(persona, _linting | {persona.path.resolve()})
    for check in CHECKS:
        check(report)
    return sorted(report.findings, key=lambda finding: (finding.line, finding.code))


def counts_as_error(finding: Finding, *, strict: bool) -> bool:
    return finding.severity == "error" or strict
