"""Convert a JSON Schema (an MCP tool's inputSchema, a pydantic model's) to what the Live API accepts.

The Live API takes function parameters in the OpenAPI subset of ``types.Schema``: one ``type`` per
node, string-only ``enum``, ``nullable`` instead of a ``null`` type, no ``$ref``. The conversion

- inlines ``$ref`` from ``$defs`` / ``definitions`` (a schema that refers to itself is cut there);
- turns ``anyOf``/``oneOf``/``type: [...]`` with ``null`` into ``nullable: true``, merges ``allOf``;
- keeps ``anyOf`` of several shapes, ``const`` as a one-value ``enum``;
- moves what the API has no field for into the description, where the model still reads it
  (``default``, unsupported ``format``\\ s, non-string ``enum`` values, ``exclusiveMinimum``, ...);
- drops metadata (``title``, ``$schema``, ``examples``, ...) and ``additionalProperties``.

What cannot be expressed at all (free-form keys, ``not``, ``if``/``then``, tuple items, a schema
accepting anything) is dropped too, and reported: ``schema_problems`` lists it for ``persona lint``.
"""

from __future__ import annotations

import json
from typing import Any

LIVE_TYPES = {"string", "number", "integer", "boolean", "array", "object"}
# Formats the Live API understands, per type; any other moves into the description.
LIVE_FORMATS = {"string": {"enum", "date-time"}, "number": {"float", "double"}, "integer": {"int32", "int64"}}
KEPT = {"minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength", "pattern", "minProperties",
        "maxProperties"}
# Dropped without a word: metadata the model does not need.
METADATA = {"title", "$schema", "$id", "$anchor", "$comment", "examples", "example", "readOnly", "writeOnly",
            "deprecated", "contentMediaType", "contentEncoding", "$defs", "definitions", "discriminator"}
# Constraints the API cannot check, said in words instead.
NOTES = {
    "exclusiveMinimum": "greater than {}",
    "exclusiveMaximum": "less than {}",
    "multipleOf": "a multiple of {}",
    "uniqueItems": "no repeated items",
}
# Structure that cannot be said at all: dropped and reported.
UNEXPRESSIBLE = {"not", "if", "then", "else", "patternProperties", "propertyNames", "dependentRequired",
                 "dependentSchemas", "dependencies", "contains", "minContains", "maxContains", "prefixItems",
                 "additionalItems", "unevaluatedItems", "unevaluatedProperties"}


def to_live_schema(schema: Any) -> tuple[dict[str, Any], list[str]]:
    """The Live API form of a ``type: object`` parameters schema, and what could not be expressed."""
    converter = _Converter(schema if isinstance(schema, dict) else {})
    result = converter.convert(schema, "")
    if result.get("type") != "object":
        converter.problem("", "the parameters are not an object; declared as an object without properties")
        result = {"type": "object"}
    result.setdefault("properties", {})
    return result, converter.problems


def schema_problems(schema: Any) -> list[str]:
    """What of ``schema`` the Live API cannot express (each ``"<where>: <what>"``); empty when all of it can."""
    return to_live_schema(schema)[1]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


class _Converter:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.problems: list[str] = []
        self._resolving: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path or 'parameters'}: {message}")

    def convert(self, node: Any, path: str) -> dict[str, Any]:
        if node is True or node == {}:
            self.problem(path, "accepts any value; declared as a string")
            return {"type": "string"}
        if not isinstance(node, dict):
            self.problem(path, f"is not a schema ({_text(node)}); declared as a string")
            return {"type": "string"}
        if "$ref" in node:
            return self._reference(node, path)
        if "allOf" in node:
            return self._all_of(node, path)
        for keyword in ("anyOf", "oneOf"):
            if keyword in node:
                return self._any_of(node, keyword, path)
        if isinstance(node.get("type"), list):
            return self._type_list(node, path)
        return self._plain(node, path)

    def _reference(self, node: dict[str, Any], path: str) -> dict[str, Any]:
        ref = node["$ref"]
        rest = {key: value for key, value in node.items() if key != "$ref"}
        if ref in self._resolving:
            self.problem(path, f"refers to itself ({ref}); declared as an object without properties")
            return self._plain({"type": "object", **rest}, path)
        target = self._lookup(ref)
        if target is None:
            self.problem(path, f"refers to {ref}, which is not in the schema; declared as a string")
            return self._plain({"type": "string", **rest}, path)
        self._resolving.append(ref)
        try:
            resolved = self.convert(target, path)
        finally:
            self._resolving.pop()
        return self._overlay(resolved, rest, path)

    def _lookup(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            return None
        node: Any = self.root
        for raw in filter(None, ref[1:].split("/")):
            part = raw.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def _overlay(self, inner: dict[str, Any], rest: dict[str, Any], path: str) -> dict[str, Any]:
        """``inner`` with the description (and notes: default, format) written beside a $ref or anyOf."""
        said = {key: value for key, value in rest.items() if key in ("description", "default", "format", *NOTES)}
        if not said:
            return inner
        kind = inner.get("type")
        # A scalar type keeps format checks right; any other needs no structure from this probe.
        probe = self._plain({**said, "type": kind if kind in ("string", "number", "integer") else "boolean"}, path)
        description = probe.get("description")
        if description and inner.get("description") and "description" not in rest:
            description = f"{inner['description']} {description}"
        return {**inner, "description": description} if description else inner

    def _all_of(self, node: dict[str, Any], path: str) -> dict[str, Any]:
        parts = [self.convert(part, path) for part in node["allOf"] if isinstance(part, dict)]
        rest = self.convert({key: value for key, value in node.items() if key != "allOf"} or {"type": "object"}, path)
        merged: dict[str, Any] = {}
        for part in [*parts, rest] if len(node) > 1 else parts:
            if merged.get("type") not in (None, part.get("type")) and part.get("type") is not None:
                self.problem(path, "allOf combines different types; only the first is declared")
                continue
            properties = {**merged.get("properties", {}), **part.get("properties", {})}
            required = [*merged.get("required", []), *part.get("required", [])]
            merged = {**merged, **part}
            if properties:
                merged["properties"] = properties
            if required:
                merged["required"] = list(dict.fromkeys(required))
        return merged or {"type": "string"}

    def _any_of(self, node: dict[str, Any], keyword: str, path: str) -> dict[str, Any]:
        options = node[keyword] if isinstance(node[keyword], list) else []
        rest = {key: value for key, value in node.items() if key not in ("anyOf", "oneOf")}
        nullable = any(isinstance(option, dict) and option.get("type") == "null" for option in options)
        kept = [option for option in options if not (isinstance(option, dict) and option.get("type") == "null")]
        if not kept:
            self.problem(path, "allows only null; declared as a nullable string")
            return {**self._plain({"type": "string", **rest}, path), "nullable": True}
        if len(kept) == 1:
            result = self._overlay(self.convert(kept[0], path), rest, path)
        else:
            if keyword == "oneOf":
                self.problem(path, "oneOf is declared as anyOf: the model is not told that only one may match")
            converted = [self.convert(option, f"{path}[{index}]") for index, option in enumerate(kept)]
            result = self._overlay({"anyOf": converted}, rest, path)
        if nullable:
            result["nullable"] = True
        return result

    def _type_list(self, node: dict[str, Any], path: str) -> dict[str, Any]:
        kinds = [kind for kind in node["type"] if kind != "null"]
        nullable = len(kinds) < len(node["type"])
        if not kinds:
            self.problem(path, "allows only null; declared as a nullable string")
            kinds = ["string"]
        if len(kinds) == 1:
            result = self._plain({**node, "type": kinds[0]}, path)
        else:
            result = {"anyOf": [self._plain({**node, "type": kind}, path) for kind in kinds]}
            description = result["anyOf"][0].get("description")
            for option in result["anyOf"]:
                option.pop("description", None)
            if description:
                result["description"] = description
        if nullable:
            result["nullable"] = True
        return result

    def _plain(self, node: dict[str, Any], path: str) -> dict[str, Any]:
        """One node with a single type (or none yet): the keywords the API takes, the rest said or dropped."""
        notes: list[str] = []
        result: dict[str, Any] = {}
        kind = node.get("type")
        if "const" in node:
            if isinstance(node["const"], str):
                node = {**node, "enum": [node["const"]]}
                kind = kind or "string"
            else:
                notes.append(f"always {_text(node['const'])}")
        if "enum" in node:
            kind = self._enum(node, kind, result, notes, path)
        if kind is None:
            kind = "object" if "properties" in node else "array" if "items" in node else None
        if kind is None:
            self.problem(path, "has no type; declared as a string")
            kind = "string"
        elif kind == "null":
            self.problem(path, "allows only null; declared as a nullable string")
            kind, result["nullable"] = "string", True
        elif kind not in LIVE_TYPES:
            self.problem(path, f"has the unknown type {_text(kind)}; declared as a string")
            kind = "string"
        result["type"] = kind
        fmt = node.get("format")
        if isinstance(fmt, str):
            if fmt in LIVE_FORMATS.get(kind, set()):
                result["format"] = fmt
            else:
                notes.append(f"format: {fmt}")
        for keyword in KEPT & set(node):
            result[keyword] = node[keyword]
        for keyword, template in NOTES.items():
            if keyword in node and node[keyword] is not False:
                notes.append(template.format(_text(node[keyword])))
        if "default" in node and node["default"] is not None:
            notes.append(f"default: {_text(node['default'])}")
        for keyword in sorted(UNEXPRESSIBLE & set(node)):
            self.problem(path, f"{keyword} cannot be expressed; dropped")
        if kind == "object":
            self._object(node, path, result)
        elif kind == "array":
            self._array(node, path, result)
        description = node.get("description")
        text = description.strip() if isinstance(description, str) else ""
        if notes:
            text = f"{text} ({'; '.join(notes)})" if text else f"({'; '.join(notes)})"
        if text:
            result["description"] = text
        return {"type": result.pop("type"), **result}

    def _enum(self, node: dict[str, Any], kind: Any, result: dict[str, Any], notes: list[str], path: str) -> Any:
        values = node["enum"] if isinstance(node["enum"], list) else []
        if None in values:
            result["nullable"] = True
            values = [value for value in values if value is not None]
        if values and all(isinstance(value, str) for value in values):
            result["enum"] = values
            return kind or "string"
        if values:
            self.problem(path, "an enum of values other than strings cannot be declared; listed in the description")
            notes.append("one of " + ", ".join(_text(value) for value in values))
            if kind is None:
                sample = values[0]
                kind = ("boolean" if isinstance(sample, bool) else "integer" if isinstance(sample, int)
                        else "number" if isinstance(sample, float) else None)
        return kind

    def _object(self, node: dict[str, Any], path: str, result: dict[str, Any]) -> None:
        properties = node.get("properties")
        converted = {
            str(name): self.convert(child, _join(path, str(name)))
            for name, child in (properties.items() if isinstance(properties, dict) else [])
        }
        extra = node.get("additionalProperties")
        if not converted and extra not in (None, False):
            self.problem(path, "takes free-form keys (additionalProperties), which cannot be declared; "
                               "the model sees an object without properties")
        result["properties"] = converted
        required = node.get("required")
        if isinstance(required, list):
            names = [name for name in required if isinstance(name, str) and name in converted]
            if names:
                result["required"] = names

    def _array(self, node: dict[str, Any], path: str, result: dict[str, Any]) -> None:
        items = node.get("items")
        if isinstance(items, list):
            self.problem(path, "a tuple of differently typed items cannot be declared; declared as a list of strings")
            items = {"type": "string"}
        elif items is None:
            self.problem(path, "an array without items; declared as a list of strings")
            items = {"type": "string"}
        result["items"] = self.convert(items, f"{path}[]")
