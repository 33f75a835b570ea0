"""Scenario templates: ``{{ tool.field[0] }}`` placeholders over the latest tool responses.

A placeholder is a path: a root name (a tool, or ``heard``), then ``.field`` and ``[index]`` parts.
A response wrapped as ``{"output": {...}}`` is seen through. A placeholder whose value is missing,
null or empty text is an error (``EmptyPlaceholder``): a scripted line with a hole in it would
sound like a working agent while hiding a broken scenario.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
_PATH = re.compile(r"[^.\[\]\s]+(?:\.[^.\[\]\s]+|\[\d+\])*")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class EmptyPlaceholder(ValueError):
    """A placeholder rendered nothing; ``path`` is its text between the braces."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{{{{ {path} }}}} is empty")
        self.path = path


def is_path(text: str) -> bool:
    return _PATH.fullmatch(text) is not None


def root(path: str) -> str:
    """The name a path starts from: ``schedule_appointment`` for ``schedule_appointment.start``."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def placeholders(value: Any) -> Iterator[str]:
    """Every placeholder path in a template, or in the strings of a nested args value."""
    if isinstance(value, str):
        for match in _PLACEHOLDER.finditer(value):
            yield match.group(1).strip()
    elif isinstance(value, dict):
        for item in value.values():
            yield from placeholders(item)
    elif isinstance(value, list):
        for item in value:
            yield from placeholders(item)


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """``name.a.b[0]`` in ``context``, or None; a response wrapped as ``{"output": {...}}`` is seen through."""
    current: Any = context
    for name, index in _PATH_PART.findall(path.strip()):
        if isinstance(current, Mapping) and name and name not in current and isinstance(
                current.get("output"), Mapping):
            current = current["output"]
        if name:
            current = current.get(name) if isinstance(current, Mapping) else None
        elif isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        else:
            return None
        if current is None:
            return None
    return current


def _filled(context: Mapping[str, Any], path: str) -> Any:
    value = lookup(context, path) if path else None
    if value is None or value == "":
        raise EmptyPlaceholder(path)
    return value


def render_text(template: str, context: Mapping[str, Any]) -> str:
    """Fill every placeholder; raises EmptyPlaceholder for one that renders nothing."""
    return _PLACEHOLDER.sub(lambda match: str(_filled(context, match.group(1).strip())), template)


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render templated args. A string that is one whole placeholder keeps the value's own type."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole:
            return _filled(context, whole.group(1).strip())
        return render_text(value, context)
    if isinstance(value, dict):
        return {key: render_value(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    return value
