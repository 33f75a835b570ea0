"""Read a persona file: YAML text -> plain data, plus the line of every key for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voicecli.errors import PersonaError

PathKey = tuple[str | int, ...]

try:  # libyaml is several times faster; fall back to the pure-Python loader when it is absent
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class SourceMap:
    """Line numbers (1-based) of the keys and items of one persona file."""

    file: Path
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int:
        """The line of ``path``, or of its nearest ancestor that has one (1 for the document)."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1

    def where(self, path: PathKey) -> str:
        return f"{self.file}:{self.line_of(path)}"


def format_path(path: PathKey) -> str:
    """``("tools", 0, "name")`` -> ``tools[0].name``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(document)"


def read_document(file: Path) -> tuple[Any, SourceMap]:
    """Parse ``file`` into plain data; raise PersonaError for unreadable files or broken YAML."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PersonaError(f"persona file not found: {file}") from None
    except IsADirectoryError:
        raise PersonaError(f"{file} is a folder, not a persona file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PersonaError(f"cannot read persona file {file}: {error}") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else str(file)
        problem = error.problem or error.context or "invalid YAML"
        raise PersonaError(f"{file} is not valid YAML", [f"{where}: {problem}"]) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as error:
        raise PersonaError(f"{file} is not valid YAML", [f"{file}: {error}"]) from None
    source = SourceMap(file)
    if node is not None:
        _record_lines(node, (), source.lines, set())
    return data, source


def _record_lines(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], seen: set[int]) -> None:
    if id(node) in seen:  # an alias pointing back up the tree
        return
    seen.add(id(node))
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                child = (*path, str(key_node.value))
                lines.setdefault(child, key_node.start_mark.line + 1)
                _record_lines(value_node, child, lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines, seen)
