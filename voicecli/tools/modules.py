"""Load a persona's Python tool module by file path and find a handler function in it."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from voicecli.persona.bindings import python_module_file


def load_module(file: Path) -> ModuleType:
    """Import ``file`` once per process under a name of its own.

    A unique name per file keeps two personas' "tools.py" apart and leaves sys.path untouched.
    """
    digest = hashlib.sha1(str(file.resolve()).encode()).hexdigest()[:12]
    name = f"voicecli_persona_tools_{file.stem}_{digest}"
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_python_function(folder: Path, binding: str) -> Callable[..., Any]:
    """The function ``module:function`` names, the module lying in (or under) ``folder``.

    LookupError when the module or the function is missing; the module's own import-time
    exceptions propagate.
    """
    module_name, _, function_name = binding.partition(":")
    file = python_module_file(folder, module_name)
    if file is None:
        raise LookupError(f"module {module_name!r} not found in {folder}")
    function = getattr(load_module(file), function_name, None)
    if not callable(function):
        raise LookupError(f"{file.name} has no function {function_name!r}")
    return function  # type: ignore[no-any-return]
