"""Where a tool's handler binding points, found without importing or running anything."""

from __future__ import annotations

import ast
import os
import shutil
from functools import lru_cache
from pathlib import Path


def python_module_file(folder: Path, module: str) -> Path | None:
    """``pkg.mod`` -> ``folder/pkg/mod.py`` (or ``folder/pkg/mod/__init__.py``), if it exists."""
    base = folder.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def python_binding_problem(folder: Path, binding: str) -> str | None:
    """Why ``module:function`` does not resolve from ``folder``; None when it does. Parsed, never imported."""
    module, _, function = binding.partition(":")
    file = python_module_file(folder, module)
    if file is None:
        expected = folder.joinpath(*module.split(".")).with_suffix(".py")
        return f"module {module!r} not found beside the persona (looked for {expected})"
    try:
        stat = file.stat()
    except OSError as error:
        return f"cannot parse {file.name}: {error}"
    names = _top_level_names(file, stat.st_mtime_ns, stat.st_size)
    if isinstance(names, str):
        return names
    return None if function in names else f"{file.name} defines no top-level function {function!r}"


@lru_cache(maxsize=64)
def _top_level_names(file: Path, mtime_ns: int, size: int) -> frozenset[str] | str:
    """The functions and names a module defines at its top level, or why it cannot be parsed.

    Parsed once per version of the file (its tools usually share one module: ~4 ms a parse).
    """
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as error:
        return f"cannot parse {file.name}: {error}"
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return frozenset(names)


def command_executable(folder: Path, program: str) -> str | None:
    """The executable ``program`` runs: a path relative to the persona folder, or a name on PATH."""
    if os.sep in program or (os.altsep and os.altsep in program):
        path = (folder / program).resolve() if not Path(program).is_absolute() else Path(program)
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(program)
