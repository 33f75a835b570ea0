"""Validate plain YAML data into the ``Document`` declared in ``model.py``, every problem at once.

pydantic finds the problems (``compiled.py`` holds its validator); this module says them the way voicecli always has:
``file:line: path.to.field: message``, one line each, sorted by line.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any

from voicecli.persona.declare import file_keys
from voicecli.persona.model import Document
from voicecli.persona.source import PathKey, SourceMap, format_path

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "dataclass_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
             dict: "a mapping"}
    return names.get(type(value), type(value).__name__)


def validate_document(data: Any, source: SourceMap) -> tuple[Document | None, list[str]]:
    """The validated document, or None and every problem as ``file:line: path: message``."""
    from pydantic_core import ValidationError

    from voicecli.persona.compiled import document_validator

    try:
        return document_validator().validate_python(data), []
    except ValidationError as error:
        found = [_problem(detail, source) for detail in error.errors(include_url=False)]
    found.sort(key=lambda item: item[0])  # by line; pydantic reports in field order, not file order
    return None, list(dict.fromkeys(text for _, text in found))


def _problem(detail: Any, source: SourceMap) -> tuple[int, str]:
    path, message = _translate(detail)
    line = source.line_of(path)
    return line, f"{source.file}:{line}: {format_path(path)}: {message}"


def _translate(detail: Any) -> tuple[PathKey, str]:
    """pydantic's (type, loc, ctx, input) -> voicecli's (path, message)."""
    kind: str = detail["type"]
    path: PathKey = tuple(part for part in detail["loc"])
    ctx = detail.get("ctx") or {}
    value = detail.get("input")
    if kind == "persona":  # a cross-field rule of model.py, reported below the object it checked
        return (*path, *ctx.get("at", ())), ctx["message"]
    if path and path[-1] == "[key]":  # a mapping's key, at (..., mapping, key, "[key]")
        return path[:-2], f"keys must be strings, got {_describe(value)} {value!r}"
    if kind == "invalid_key":  # an object's key
        return path[:-1], f"keys must be strings, got {_describe(value)} {value!r}"
    if kind in _EXPECTED:
        return path, f"expected {_EXPECTED[kind]}, got {_describe(value)}"
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        known = ", ".join(known_keys(path[:-1]))
        return path, f"unknown key {str(path[-1])!r} (expected one of: {known})"
    if kind == "missing":
        return path[:-1], f"missing required key {str(path[-1])!r}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return path, f"must be one of {', '.join(choices)}, got {value!r}"
    if kind in ("string_too_short", "blank"):
        return path, "must not be empty"
    if kind == "too_short":
        return path, f"needs at least {ctx.get('min_length', 1)} item(s)"
    if kind == "greater_than_equal":
        return path, f"must be at least {ctx['ge']:g}, got {value}"
    if kind == "greater_than":
        return path, f"must be more than {ctx['gt']:g}, got {value}"
    if kind == "finite_number":
        return path, f"must be a finite number, got {value}"
    return path, str(detail.get("msg", kind))


def known_keys(path: PathKey, root: Any = Document) -> list[str]:
    """The keys (as a file spells them) the object at ``path`` takes; [] when ``path`` leads nowhere."""
    shape = _shape_at(root, path)
    if not isinstance(shape, type) or not dataclasses.is_dataclass(shape):
        return []
    return file_keys(shape)


def _shape_at(annotation: Any, path: PathKey) -> Any:
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(part, int):
            args = typing.get_args(annotation)
            if typing.get_origin(annotation) is not list or not args:
                return None
            annotation = args[0]
        elif isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
            hints = typing.get_type_hints(annotation, include_extras=True)
            match = next((field for field in dataclasses.fields(annotation)
                          if part in (field.name, field.metadata.get("alias"))), None)
            if match is None:
                return None
            annotation = hints[match.name]
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return None
    return _unwrap(annotation)


def _unwrap(annotation: Any) -> Any:
    """``Annotated[X | None, ...]`` -> ``X``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation
