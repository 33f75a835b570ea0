"""Read a docstring's summary and its parameter descriptions: Google, NumPy and Sphinx styles.

    Google                      NumPy                       Sphinx
    Args:                       Parameters                  :param city: The city.
        city (str): The city.   ----------                  :type city: str
            More words.         city : str
                                    The city.

The summary is the text before the first section; descriptions keep their words, one space apart.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

# Sections whose entries describe parameters (Attributes: for a dataclass's or TypedDict's fields).
PARAMETER_SECTIONS = {
    "args",
    "arguments",
    "parameters",
    "params",
    "keyword args",
    "keyword arguments",
    "other parameters",
    "attributes",
    "fields",
}
OTHER_SECTIONS = {
    "returns",
    "return",
    "yields",
    "yield",
    "raises",
    "raise",
    "except",
    "exceptions",
    "examples",
    "example",
    "notes",
    "note",
    "see also",
    "warnings",
    "warning",
    "warns",
    "references",
    "todo",
    "methods",
}
_GOOGLE_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_NUMPY_RULE = re.compile(r"^\s*-{3,}\s*$")
_GOOGLE_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_NUMPY_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?::\s*(.*))?$")
_SPHINX_FIELD = re.compile(r"^:(\w+)(?:\s+([^:]+?))?:\s*(.*)$")
_SPHINX_PARAMS = {"param", "parameter", "arg", "argument", "key", "keyword", "ivar", "var", "cvar"}


@dataclass
class Docstring:
    summary: str | None = None
    params: dict[str, str] = field(default_factory=dict)


def _words(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _header(lines: list[str], index: int) -> str | None:
    """The section name starting at ``lines[index]`` (Google ``Args:`` or NumPy underlined), if any."""
    line = lines[index].strip()
    if index + 1 < len(lines) and _NUMPY_RULE.match(lines[index + 1]) and line:
        name = line.lower()
        if name in PARAMETER_SECTIONS or name in OTHER_SECTIONS:
            return name
    match = _GOOGLE_HEADER.match(line)
    if match and (match.group(1).lower() in PARAMETER_SECTIONS or match.group(1).lower() in OTHER_SECTIONS):
        return match.group(1).lower()
    return None


def parse_docstring(text: str | None) -> Docstring:
    """Summary and per-parameter descriptions of ``text`` (any of the three styles, or plain prose)."""
    if not text or not text.strip():
        return Docstring()
    lines = inspect.cleandoc(text).splitlines()
    result = Docstring()
    summary: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        name = _header(lines, index)
        if name is not None:
            numpy = index + 1 < len(lines) and bool(_NUMPY_RULE.match(lines[index + 1]))
            start = index + (2 if numpy else 1)
            end = _section_end(lines, start, _indent(line), numpy=numpy)
            if name in PARAMETER_SECTIONS:
                result.params.update(_entries(lines[start:end], numpy=numpy))
            index = end
            continue
        field_match = _SPHINX_FIELD.match(line.strip())
        if field_match:
            end = index + 1
            while end < len(lines) and lines[end].strip() and _indent(lines[end]) > _indent(line):
                end += 1
            kind, target, first = field_match.groups()
            if kind in _SPHINX_PARAMS and target:
                # ":param str city:" names the type first; the parameter is the last word.
                result.params[target.split()[-1]] = _words([first, *lines[index + 1 : end]])
            index = end
            continue
        summary.append(line)
        index += 1
    paragraphs = [_words(part.splitlines()) for part in "\n".join(summary).split("\n\n")]
    result.summary = "\n\n".join(part for part in paragraphs if part) or None
    return result


def _section_end(lines: list[str], start: int, header_indent: int, *, numpy: bool) -> int:
    """Where a section's body ends: at the next section header, or (Google) at text back at the header's indent.

    NumPy entries ("city : str") sit at the header's own indent, so only the next header ends them.
    """
    index = start
    while index < len(lines):
        line = lines[index]
        if line.strip():
            if _header(lines, index) is not None:
                return index
            if not numpy and _indent(line) <= header_indent:
                return index
        index += 1
    return index


def _entries(body: list[str], *, numpy: bool) -> dict[str, str]:
    """``name -> description`` from a parameter section's body."""
    entries: dict[str, str] = {}
    nonblank = [line for line in body if line.strip()]
    if not nonblank:
        return entries
    base = min(_indent(line) for line in nonblank)
    current: str | None = None
    words: list[str] = []
    for line in body:
        if not line.strip():
            continue
        if _indent(line) == base:
            if current is not None:
                entries[current] = _words(words)
            match = (_NUMPY_ENTRY if numpy else _GOOGLE_ENTRY).match(line.strip())
            if match is None:
                current, words = None, []
                continue
            current = match.group(1)
            words = [] if numpy else [match.group(3)]
        elif current is not None:
            words.append(line)
    if current is not None:
        entries[current] = _words(words)
    return {name: text for name, text in entries.items() if text}
