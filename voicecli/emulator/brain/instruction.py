"""What the system instruction (and the tools' own descriptions) say the agent is and must do.

Read: the agent's name and role ("You are Laura, a data-driven career coach ..."), the order of tool
calls ("Call the `b` tool only after a found no upcoming session"), and which instruction section
talks about which tool (its words help match a request to the tool).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from voicecli.emulator.brain.declarations import Tool

_YOU_ARE_NAME = re.compile(
    r"\bYou(?:\s+are|'re)\s+(?!(?:a|an|the|not|now|here|in|on|at|to|being)\b)"
    r"([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,2})(?:\s*,\s*|\s+)?((?:a|an|the)\s[^.\n]+)?")
_YOU_ARE_ROLE = re.compile(r"\bYou(?:\s+are|'re)\s+((?:a|an)\s[^.\n]+)", re.IGNORECASE)
_NAMED = re.compile(r"\s+(?:named|called)\s+([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?)")
_YOUR_NAME = re.compile(r"\bYour name is\s+([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?)")
_CALL_TOOL = re.compile(r"\b(?:call|use|invoke|run)\s+(?:the\s+)?`?([A-Za-z_][\w.-]*)`?(?:\s+(?:tool|function))?(.*)",
                        re.IGNORECASE)
_CALL_VERB = re.compile(r"\b(?:call|use|invoke|run)\b", re.IGNORECASE)
_CALL_IT = re.compile(r"\b(?:call|use)\s+(?:it|this(?:\s+tool|\s+function)?)\b(.*)", re.IGNORECASE)
_DIRECTION = re.compile(r"\b(before|after|once|when|following|until|then)\b", re.IGNORECASE)
_FOUND_NOTHING = re.compile(r"\b(?:found|finds|returned|returns|has|had|shows?)\s+(?:no|nothing|none)\b"
                            r"|\bif none\b|\bno upcoming\b|\bis empty\b", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """When a tool may be called."""

    after: tuple[str, ...] = ()  # tools that must have run first, in the order they were named
    needs_empty: tuple[str, ...] = ()  # ... of which these must have found nothing


@dataclass(frozen=True)
class Instruction:
    name: str | None = None
    role: str | None = None
    rules: dict[str, Rule] = field(default_factory=dict)
    context: dict[str, str] = field(default_factory=dict)  # tool -> instruction text about it

    def rule(self, tool: str) -> Rule:
        return self.rules.get(tool, Rule())


def read_identity(text: str) -> tuple[str | None, str | None]:
    """The agent's name and role, e.g. ("Laura", "a data-driven career coach from Brooklyn ...")."""
    name: str | None = None
    role: str | None = None
    for match in _YOU_ARE_NAME.finditer(text):
        if not match.group(1).isupper():  # "You are NOT ..." is no name
            name, role = match.group(1), (match.group(2) or "").strip() or None
            break
    if role is None:
        described = _YOU_ARE_ROLE.search(text)
        if described:
            role = described.group(1).strip()
    if role:
        named = _NAMED.search(role)
        if named:
            name = name or named.group(1)
            role = role[: named.start()].strip()
    if name is None:
        told = _YOUR_NAME.search(text)
        name = told.group(1) if told else None
    return name, role


def _conditions(text: str, tools: Sequence[Tool]) -> list[tuple[str, str]]:
    """(tool, condition) for every "Call the `x` tool <condition>" in the instruction."""
    names = {tool.name for tool in tools}
    found: list[tuple[str, str]] = []
    for line in re.split(r"(?<=[.!?])\s+|\n", text):
        starts = (verb.start() for verb in _CALL_VERB.finditer(line))
        match = next((m for m in (_CALL_TOOL.match(line, at) for at in starts) if m and m.group(1) in names), None)
        if match:
            found.append((match.group(1), match.group(2)))
    for tool in tools:  # personas fold the condition into the description: "Call it only after ..."
        for sentence in re.split(r"(?<=[.!?])\s+", tool.description):
            own = _CALL_IT.search(sentence)
            if own:
                found.append((tool.name, own.group(1)))
    return found


def read_rules(text: str, tools: Sequence[Tool]) -> dict[str, Rule]:
    after: dict[str, list[str]] = {tool.name: [] for tool in tools}
    empty: dict[str, list[str]] = {tool.name: [] for tool in tools}
    names = [tool.name for tool in tools]
    for subject, condition in _conditions(text, tools):
        for other in names:
            mention = re.search(rf"`?\b{re.escape(other)}\b`?", condition)
            if other == subject or mention is None:
                continue
            directions = _DIRECTION.findall(condition[: mention.start()])
            first, then = (subject, other) if directions and directions[-1].lower() == "before" else (other, subject)
            if first not in after[then]:
                after[then].append(first)
            if then == subject and _FOUND_NOTHING.search(condition[mention.end():]) and other not in empty[subject]:
                empty[subject].append(other)
    return {name: Rule(tuple(after[name]), tuple(empty[name])) for name in names if after[name]}


def read_context(text: str, tools: Sequence[Tool]) -> dict[str, str]:
    """For each tool, the instruction sections (between headings, or paragraphs) that name it."""
    sections = re.split(r"\n(?=#)|\n\s*\n", text)
    context: dict[str, str] = {}
    for tool in tools:
        about = [s for s in sections if re.search(rf"\b{re.escape(tool.name)}\b", s)]
        if about:
            context[tool.name] = "\n".join(about)
    return context


def read_instruction(text: str, tools: Sequence[Tool]) -> Instruction:
    name, role = read_identity(text)
    return Instruction(name=name, role=role, rules=read_rules(text, tools), context=read_context(text, tools))
