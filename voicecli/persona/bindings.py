"""Where a tool's handler binding points, found without importing or running anything."""

from __future__ import annotations

import ast
import os
import shutil
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
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as error:
        return f"cannot parse {file.name}: {error}"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
            return None
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == function for target in node.targets
        ):
            return None
    return f"{file.name} defines no top-level function {function!r}"


def command_executable(folder: Path, program: str) -> str | None:
    """The executable ``program`` runs: a path relative to the persona folder, or a name on PATH."""
    if os.sep in program or (os.altsep and os.altsep in program):
        path = (folder / program).resolve() if not Path(program).is_absolute() else Path(program)
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(program)
