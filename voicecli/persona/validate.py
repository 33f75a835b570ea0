"""Check plain YAML data against the format in ``schema.py``, collecting every problem at once."""

from __future__ import annotations

import math
from typing import Any

from voicecli.persona.schema import DOCUMENT, Field
from voicecli.persona.source import PathKey, SourceMap, format_path

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "mapping": "a mapping",
    "schema": "a mapping (a JSON Schema object)",
    "list": "a list",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }
    return names.get(type(value), type(value).__name__)


class Validator:
    """Walks a document; ``problems`` collects ``file:line: path: message`` lines."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.problems: list[str] = []

    def report(self, path: PathKey, message: str) -> None:
        self.problems.append(f"{self.source.where(path)}: {format_path(path)}: {message}")

    def check(self, value: Any, spec: Field = DOCUMENT, path: PathKey = ()) -> bool:
        """True when ``value`` (and everything inside it) matches ``spec``."""
        checker = getattr(self, f"_check_{spec.kind}")
        ok: bool = checker(value, spec, path)
        return ok

    def _expect(self, ok: bool, value: Any, spec: Field, path: PathKey) -> bool:
        if not ok:
            self.report(path, f"expected {_TYPE_NAMES[spec.kind]}, got {_describe(value)}")
        return ok

    def _check_string(self, value: Any, spec: Field, path: PathKey) -> bool:
        if not self._expect(isinstance(value, str), value, spec, path):
            return False
        if spec.min_length and not value.strip():
            self.report(path, "must not be empty")
            return False
        if spec.choices and value not in spec.choices:
            self.report(path, f"must be one of {', '.join(spec.choices)}, got {value!r}")
            return False
        return True

    def _check_number(self, value: Any, spec: Field, path: PathKey) -> bool:
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if not self._expect(is_number and math.isfinite(value), value, spec, path):
            return False
        if spec.minimum is not None and value < spec.minimum:
            self.report(path, f"must be at least {spec.minimum:g}, got {value}")
            return False
        return True

    def _check_integer(self, value: Any, spec: Field, path: PathKey) -> bool:
        if not self._expect(isinstance(value, int) and not isinstance(value, bool), value, spec, path):
            return False
        return self._check_number(value, spec, path)

    def _check_boolean(self, value: Any, spec: Field, path: PathKey) -> bool:
        return self._expect(isinstance(value, bool), value, spec, path)

    def _check_schema(self, value: Any, spec: Field, path: PathKey) -> bool:
        # The content of a JSON Schema is the linter's business; the loader only needs a mapping.
        return self._expect(isinstance(value, dict), value, spec, path)

    def _check_list(self, value: Any, spec: Field, path: PathKey) -> bool:
        if not self._expect(isinstance(value, list), value, spec, path):
            return False
        if spec.min_length and len(value) < spec.min_length:
            self.report(path, f"needs at least {spec.min_length} item(s)")
            return False
        assert spec.items is not None
        results = [self.check(item, spec.items, (*path, index)) for index, item in enumerate(value)]
        return all(results)

    def _check_mapping(self, value: Any, spec: Field, path: PathKey) -> bool:
        if not self._expect(isinstance(value, dict), value, spec, path):
            return False
        assert spec.values is not None
        ok = True
        for key, item in value.items():
            if not isinstance(key, str):
                self.report(path, f"keys must be strings, got {_describe(key)} {key!r}")
                ok = False
            elif not self.check(item, spec.values, (*path, key)):
                ok = False
        return ok

    def _check_object(self, value: Any, spec: Field, path: PathKey) -> bool:
        if not self._expect(isinstance(value, dict), value, spec, path):
            return False
        ok = True
        for key, item in value.items():
            child = spec.fields.get(key) if isinstance(key, str) else None
            if child is not None and item is None and not child.required:
                continue  # an explicit null means "unset"
            if child is None:
                known = ", ".join(spec.fields)
                self.report((*path, str(key)), f"unknown key {key!r} (expected one of: {known})")
                ok = False
            elif not self.check(item, child, (*path, key)):
                ok = False
        for name, child in spec.fields.items():
            if child.required and name not in value:
                self.report(path, f"missing required key {name!r}")
                ok = False
        return ok
