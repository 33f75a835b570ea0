"""Which declared tool the user's words ask for: keyword overlap plus argument evidence.

A tool's strong words come from its name and description, its weak words from its parameters and
the instruction sections that name it. Each user word that meets a strong word scores 2, a weak
word 1, and each argument a typed reader finds in the words (a date, a state, a list) scores 2.
A tool qualifies with a strong word and a score of 2, or with two typed arguments; the best score
wins, ties go to the earlier declaration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from voicecli.emulator.brain.declarations import Tool
from voicecli.emulator.brain.extract import extract, stems_meet
from voicecli.emulator.brain.words import content_stems


@dataclass(frozen=True)
class Score:
    strong: int
    weak: int
    typed: int

    @property
    def total(self) -> int:
        return 2 * self.strong + self.weak + 2 * self.typed

    @property
    def qualifies(self) -> bool:
        return (self.strong >= 1 and self.total >= 2) or self.typed >= 2


@dataclass(frozen=True)
class Vocabulary:
    strong: Mapping[str, frozenset[str]]
    weak: Mapping[str, frozenset[str]]


def _without_tool_names(text: str, tools: Sequence[Tool]) -> str:
    """Another tool's name in a description says nothing about this tool's subject."""
    for tool in tools:
        text = re.sub(rf"`?\b{re.escape(tool.name)}\b`?", " ", text)
    return text


def build_vocabulary(tools: Sequence[Tool], context: Mapping[str, str]) -> Vocabulary:
    strong: dict[str, frozenset[str]] = {}
    weak: dict[str, frozenset[str]] = {}
    for tool in tools:
        strong[tool.name] = frozenset(
            content_stems(tool.name) | content_stems(_without_tool_names(tool.description, tools)))
        about = " ".join(f"{p.name} {p.description}" for p in tool.params) + " " + context.get(tool.name, "")
        weak[tool.name] = frozenset(content_stems(_without_tool_names(about, tools)))
    if len(tools) > 1:  # a word every tool shares tells them apart from nothing
        shared = frozenset.intersection(*strong.values())
        strong = {name: words - shared for name, words in strong.items()}
    return Vocabulary(strong, weak)


def _hits(said: set[str], known: frozenset[str]) -> set[str]:
    return {word for word in said if any(stems_meet(word, other) for other in known)}


def score(tool: Tool, text: str, vocabulary: Vocabulary) -> Score:
    said = content_stems(text)
    strong = _hits(said, vocabulary.strong[tool.name])
    weak = _hits(said - strong, vocabulary.weak[tool.name])
    typed = 0
    for param in tool.params:
        found = extract(param, text)
        typed += int(found is not None and found.typed)
    return Score(len(strong), len(weak), typed)


def choose_tool(text: str, tools: Sequence[Tool], vocabulary: Vocabulary) -> Tool | None:
    """The tool the words ask for, or None when no tool qualifies."""
    best: tuple[int, Tool] | None = None
    for tool in tools:
        result = score(tool, text, vocabulary)
        if result.qualifies and (best is None or result.total > best[0]):
            best = (result.total, tool)
    return best[1] if best else None
