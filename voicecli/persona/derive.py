"""Description and parameters of a Python-handler tool that omits them, derived from the handler's signature.

The derivation lives in ``voicecli.tools.signatures`` (the two steps of ``describe_python_handler``). It
imports the tool module, as ``talk`` does, so it runs only for tools that omit one of the two. This is
the one place the persona package reaches outside itself, lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Derived:
    fields: dict[str, Any] = field(default_factory=dict)  # description/parameters to fill in, plus "derived"
    problem: str | None = None  # why they cannot be derived (a loading problem, reported with file:line)


def derived_fields(ref: str, folder: Path, written: dict[str, Any]) -> Derived:
    """The fields missing from ``written`` (description, parameters), as the handler's signature gives them.

    A missing module or function derives nothing and is no problem here: the linter reports the
    unresolved binding (VC309) and the missing description (VC302). A signature that cannot be declared,
    or a module that fails to import, is a problem: without them the tool cannot be declared at all.
    """
    try:
        from voicecli.tools.modules import load_python_function
        from voicecli.tools.signatures import describe_function, takes_arguments_dict
    except ImportError:  # pragma: no cover - an installation without the tools package
        return Derived()
    try:
        function = load_python_function(folder, ref)
        if takes_arguments_dict(function):  # the older ``f(args)`` form: what the file says (or not) stands
            return Derived()
        description, parameters = describe_function(function)
    except LookupError:
        return Derived()
    except Exception as error:  # SignatureError, or the tool module's own import-time failure
        return Derived(problem=f"cannot derive the omitted description/parameters from {ref}: {error}")
    fields: dict[str, Any] = {}
    if "description" not in written and description:
        fields["description"] = description
    if "parameters" not in written:
        fields["parameters"] = parameters
    if fields:
        fields["derived"] = tuple(sorted(fields))
    return Derived(fields)
