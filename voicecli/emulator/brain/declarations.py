"""Function declarations as the wire sends them, read into small typed values.

A declaration is a dict with ``name``, ``description``, ``behavior`` and a parameter schema under
``parameters`` (OpenAPI subset, types often upper-case: ``"STRING"``) or ``parameters_json_schema``
(JSON Schema; ``parametersJsonSchema`` before key normalisation). Both read the same way here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_SCHEMA_KEYS = ("parameters", "parameters_json_schema", "parametersJsonSchema")


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "string"  # string | number | integer | boolean | array | object
    description: str = ""
    enum: tuple[Any, ...] = ()
    format: str = ""
    max_length: int | None = None
    items: Param | None = None
    properties: tuple[Param, ...] = ()
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tool:
    name: str
    description: str = ""
    params: tuple[Param, ...] = ()
    required: tuple[str, ...] = ()
    blocking: bool = True

    def param(self, name: str) -> Param | None:
        return next((param for param in self.params if param.name == name), None)


def _type_of(schema: Mapping[str, Any]) -> str:
    raw = schema.get("type")
    if isinstance(raw, list):  # JSON Schema ["string", "null"]
        raw = next((kind for kind in raw if str(kind).lower() != "null"), "string")
    if raw is None:
        for key in ("anyOf", "any_of", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list):
                typed = [o for o in options if isinstance(o, Mapping) and str(o.get("type", "")).lower() != "null"]
                if typed:
                    return _type_of(typed[0])
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
    kind = str(raw or "string").lower()
    return kind if kind in {"string", "number", "integer", "boolean", "array", "object"} else "string"


def read_param(name: str, schema: Any) -> Param:
    if not isinstance(schema, Mapping):
        return Param(name)
    kind = _type_of(schema)
    properties = schema.get("properties")
    items = schema.get("items")
    max_length = schema.get("maxLength", schema.get("max_length"))
    return Param(
        name=name,
        type=kind,
        description=str(schema.get("description") or ""),
        enum=tuple(schema.get("enum") or ()),
        format=str(schema.get("format") or ""),
        max_length=int(max_length) if isinstance(max_length, int | str) and str(max_length).isdigit() else None,
        items=read_param(name, items) if kind == "array" and isinstance(items, Mapping) else None,
        properties=tuple(read_param(key, value) for key, value in properties.items())
        if isinstance(properties, Mapping) else (),
        required=tuple(str(key) for key in schema.get("required") or ()),
    )


def read_tool(declaration: Mapping[str, Any]) -> Tool:
    schema: Any = next((declaration[key] for key in _SCHEMA_KEYS if declaration.get(key)), {})
    root = read_param("", schema)
    behaviour = str(declaration.get("behavior") or "BLOCKING").upper()
    return Tool(
        name=str(declaration.get("name") or ""),
        description=str(declaration.get("description") or ""),
        params=root.properties,
        required=root.required,
        blocking=behaviour != "NON_BLOCKING",
    )


def read_tools(declarations: Iterable[Mapping[str, Any]]) -> tuple[Tool, ...]:
    """Every named declaration, in order."""
    return tuple(tool for tool in (read_tool(d) for d in declarations if isinstance(d, Mapping)) if tool.name)


def declarations_in(tools: Any) -> list[Mapping[str, Any]]:
    """The function declarations inside ``setup.tools`` (either key spelling)."""
    found: list[Mapping[str, Any]] = []
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, Mapping):
            for key in ("function_declarations", "functionDeclarations"):
                found.extend(d for d in tool.get(key) or [] if isinstance(d, Mapping))
    return found
