"""The interpreter and the packages voicecli was installed with."""

from __future__ import annotations

import importlib.metadata
import re
import sys
from collections.abc import Callable, Sequence

from voicecli.doctor.check import Check, failed, passed, warned

MINIMUM_PYTHON = (3, 11)
REINSTALL = "pip install --upgrade voicecli (from a checkout: pip install -e .)"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
SHOWN = ("google-genai", "websockets", "sounddevice", "numpy")  # the ones worth a glance in the detail


def python_check(version: Sequence[int] = sys.version_info[:3], executable: str = sys.executable) -> Check:
    shown = ".".join(str(part) for part in version)
    if tuple(version[:2]) < MINIMUM_PYTHON:
        wanted = ".".join(str(part) for part in MINIMUM_PYTHON)
        return failed("python", f"Python {shown} ({executable}); voicecli needs {wanted} or newer",
                      f"install Python {wanted}+ and reinstall voicecli with it", version=shown)
    return passed("python", f"Python {shown} ({executable})", version=shown)


def packages_check(
    requirements: Sequence[str] | None = None,
    version_of: Callable[[str], str] = importlib.metadata.version,
) -> Check:
    """Every runtime requirement of the voicecli distribution is installed (and in range, when checkable)."""
    try:
        own = version_of("voicecli")
        wanted = list(requirements) if requirements is not None else _runtime_requirements()
    except importlib.metadata.PackageNotFoundError:
        return warned("packages", "voicecli runs from source, not an installed package: requirements not checked",
                      REINSTALL)
    versions: dict[str, str] = {}
    problems: list[str] = []
    for requirement in wanted:
        match = _NAME.match(requirement)
        if match is None:
            continue
        name = match.group(1)
        try:
            versions[name] = version_of(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{name} is missing")
            continue
        if not _satisfies(requirement, versions[name]):
            problems.append(f"{name} {versions[name]} does not satisfy {requirement}")
    if problems:
        return failed("packages", "; ".join(problems), REINSTALL, voicecli=own, versions=versions)
    shown = ", ".join(f"{name} {versions[name]}" for name in SHOWN if name in versions)
    return passed("packages", f"voicecli {own} with {shown} ({len(versions)} requirements met)",
                  voicecli=own, versions=versions)


def _runtime_requirements() -> list[str]:
    declared = importlib.metadata.requires("voicecli") or []
    return [line for line in declared if "extra ==" not in line]


def _satisfies(requirement: str, version: str) -> bool:
    """Whether ``version`` meets the requirement's range; True when ``packaging`` is not there to tell."""
    try:
        from packaging.requirements import InvalidRequirement, Requirement
        from packaging.version import InvalidVersion
    except ImportError:
        return True
    try:
        return Requirement(requirement).specifier.contains(version, prereleases=True)
    except (InvalidRequirement, InvalidVersion):
        return True
