"""pydantic's validator of a persona file, without pydantic's start-up cost.

pydantic builds a validator in two steps: Python code turns the declaration (``model.py``) into a
*core schema*, a plain dict, and pydantic-core (Rust) compiles that dict. The first step, with the
imports it needs, takes ~0.15 s: half of what ``voicecli lint-persona`` may spend (issue 11).
So the core schema pydantic makes from ``model.py`` is kept as Python source in ``core_schema.py``,
written by ``render_core_schema()`` and checked against a fresh one by the tests (like
``docs/persona.schema.json``); a run hands it straight to pydantic-core. It is used only when it was
made from this very ``model.py``/``declare.py`` and this pydantic-core; otherwise the validator is
built from the declaration as pydantic always does. Either way the validation is pydantic's.

After changing the model, run ``VOICECLI_UPDATE_SNAPSHOTS=1 pytest tests/persona`` to rewrite it.
"""

from __future__ import annotations

import re
import types
import zlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import TypeAdapter
    from pydantic_core import SchemaValidator

    from voicecli.persona.model import Document

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE / "core_schema.py"
# What the core schema is made from; a change to any of them makes the snapshot stale.
DECLARATION = ("model.py", "declare.py")
# Modules whose functions and classes the core schema refers to, by the name the snapshot imports them as.
REFERRED = {"voicecli.persona.model": "model", "voicecli.persona.declare": "declare"}
LINE_WIDTH = 100
REF_ID = re.compile(r":\d+$")


def declaration_digest() -> str:
    """A checksum of the declaration's source (CRC-32 and length: it tells versions apart, and zlib
    loads in a fraction of hashlib's 5 ms); '' when a file cannot be read (then the snapshot is never used)."""
    crc, size = 0, 0
    for name in DECLARATION:
        try:
            data = (HERE / name).read_bytes()
        except OSError:
            return ""
        crc, size = zlib.crc32(data, crc), size + len(data)
    return f"crc32:{crc:08x}:{size}"


@cache
def document_adapter() -> TypeAdapter[Document]:
    """pydantic's own adapter, built from the declaration: for the JSON Schema and the snapshot."""
    from pydantic import TypeAdapter

    from voicecli.persona.model import Document

    return TypeAdapter(Document)


@cache
def document_validator() -> SchemaValidator:
    """The validator of a whole file: from the snapshot when it is current, else built by pydantic."""
    from pydantic_core import SchemaValidator

    if snapshot_is_current():
        from voicecli.persona import core_schema as snapshot

        return SchemaValidator(snapshot.SCHEMA, snapshot.CONFIG)  # type: ignore[arg-type]
    return document_adapter().validator  # type: ignore[return-value]


def snapshot_is_current() -> bool:
    """Whether ``core_schema.py`` was made from this declaration for this pydantic-core."""
    from pydantic_core import __version__ as core_version

    try:
        from voicecli.persona import core_schema as snapshot
    except (ImportError, AttributeError):  # refers to a name the declaration no longer has
        return False
    digest = declaration_digest()
    return bool(digest) and digest == snapshot.DIGEST and core_version == snapshot.PYDANTIC_CORE


def render_core_schema() -> str:
    """The source of ``core_schema.py``: pydantic's core schema of ``Document``, referring to the
    declaration's functions and classes by name."""
    from pydantic._internal._config import ConfigWrapper
    from pydantic_core import __version__ as core_version

    adapter = document_adapter()
    config = ConfigWrapper(adapter._config).core_config(None)
    lines = [
        '"""pydantic\'s core schema of a persona file, generated from model.py by compiled.py; do not edit.',
        "",
        "Rewrite it with ``VOICECLI_UPDATE_SNAPSHOTS=1 pytest tests/persona``.",
        '"""',
        "",
        "# ruff: noqa: E501  (nesting as deep as the persona's sections)",
        "from typing import Any",
        "",
        f"from voicecli.persona import {', '.join(sorted(REFERRED.values()))}",
        "",
        f"DIGEST = {declaration_digest()!r}",
        f"PYDANTIC_CORE = {core_version!r}",
        f"CONFIG: dict[str, Any] = {_source(dict(config), 0)}",
        f"SCHEMA: dict[str, Any] = {_source(_portable(adapter.core_schema), 0)}",
        "",
    ]
    return "\n".join(lines)


def _portable(node: Any) -> Any:
    """The schema without what differs from run to run or only the JSON Schema needs: ``metadata``
    (pydantic-core ignores it) and the object ids pydantic appends to its refs (``model.Step:1403...``)."""
    if isinstance(node, dict):
        return {
            key: REF_ID.sub("", value) if key in ("ref", "schema_ref") else _portable(value)
            for key, value in node.items()
            if key != "metadata"
        }
    if isinstance(node, list | tuple):
        return type(node)(_portable(item) for item in node)
    return node


def _source(node: Any, depth: int) -> str:
    """Python source for a core schema node, indented to ``depth``: on one line when it fits."""
    flat = _flat(node)
    if len(flat) + 4 * depth <= LINE_WIDTH or not isinstance(node, dict | list | tuple):
        return flat
    pad, inner = "    " * depth, "    " * (depth + 1)
    if isinstance(node, dict):
        items = [f"{inner}{key!r}: {_source(value, depth + 1)}," for key, value in node.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    items = [f"{inner}{_source(item, depth + 1)}," for item in node]
    opening, closing = ("[", "]") if isinstance(node, list) else ("(", ")")
    return opening + "\n" + "\n".join(items) + f"\n{pad}{closing}"


def _flat(node: Any) -> str:
    if isinstance(node, dict):
        return "{" + ", ".join(f"{key!r}: {_flat(value)}" for key, value in node.items()) + "}"
    if isinstance(node, list):
        return "[" + ", ".join(_flat(item) for item in node) + "]"
    if isinstance(node, tuple):
        return "(" + "".join(f"{_flat(item)}, " for item in node).rstrip(" ") + ")"
    if node is None or isinstance(node, str | int | float | bool):
        return repr(node)
    return _reference(node)


def _reference(thing: Any) -> str:
    """``list``, ``model.Step``, ``model.Step._null_means_unset``, ``declare._checked``."""
    if isinstance(thing, type) and thing.__module__ == "builtins":
        return thing.__name__
    if isinstance(thing, types.MethodType) and isinstance(thing.__self__, type):
        return f"{_reference(thing.__self__)}.{thing.__func__.__name__}"
    module = REFERRED.get(getattr(thing, "__module__", ""))
    qualname = getattr(thing, "__qualname__", "")
    if module is None or "<" in qualname:
        raise ValueError(f"the core schema refers to {thing!r}, which the snapshot cannot name")
    return f"{module}.{qualname}"
