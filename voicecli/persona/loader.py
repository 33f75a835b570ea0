"""Find a persona by name or path, and load it into a ``Persona``, reporting every problem at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voicecli.errors import PersonaError
from voicecli.paths import personas_dir
from voicecli.persona.model import (
    DEFAULT_TOOL_TIMEOUT_S,
    Compression,
    Example,
    Greeting,
    Guardrails,
    HandlerBinding,
    Persona,
    PersonaInfo,
    Session,
    Step,
    ToolSpec,
)
from voicecli.persona.schema import SECTION_ORDER
from voicecli.persona.source import SourceMap, read_document
from voicecli.persona.validate import Validator

PERSONA_SUFFIXES = (".yaml", ".yml")
PYTHON_BINDING = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")
# Emulator scenarios (docs/scenarios.md) live beside personas; these mark them so they are never read as one.
SCENARIO_SUFFIXES = tuple(f".scenario{suffix}" for suffix in PERSONA_SUFFIXES)
SCENARIO_FOLDER = "scenarios"
SCENARIO_KEYS = frozenset({"steps", "fallback"})
# Persona tests (docs/testing-personas.md) live beside personas too: NAME.test.yaml.
TEST_SUFFIXES = tuple(f".test{suffix}" for suffix in PERSONA_SUFFIXES)


def persona_folders() -> list[Path]:
    """Where a bare NAME is looked for, in order: ``./personas``, then the shipped personas."""
    return [Path.cwd() / "personas", personas_dir()]


def resolve_persona_path(name_or_path: str | Path) -> Path:
    """A path is used as given; a bare NAME is ``NAME.yaml`` in the first of ``persona_folders()`` holding it."""
    text = str(name_or_path)
    candidate = Path(text).expanduser()
    looks_like_path = isinstance(name_or_path, Path) or "/" in text or text.endswith(PERSONA_SUFFIXES)
    if looks_like_path or candidate.exists():
        return candidate
    searched = persona_folders()
    for folder in searched:
        for suffix in PERSONA_SUFFIXES:
            path = folder / f"{text}{suffix}"
            if path.is_file():
                return path
    raise PersonaError(
        f"no persona named {text!r}",
        [f"looked in {folder}" for folder in searched],
        hint="pass a path to a .yaml file, or a name from one of those folders",
    )


def is_scenario_file(path: Path) -> bool:
    """An emulator scenario, known by its name (``*.scenario.yaml``), its folder or its own top-level keys."""
    if path.name.endswith(SCENARIO_SUFFIXES) or path.parent.name == SCENARIO_FOLDER:
        return True
    try:
        data, _ = read_document(path)
    except PersonaError:  # unreadable: left to the persona loader, which says why
        return False
    # A scenario's own top level: steps or a fallback, and no persona section.
    return isinstance(data, dict) and bool(data.keys() & SCENARIO_KEYS) and not data.keys() & set(SECTION_ORDER)


def is_test_file(path: Path) -> bool:
    """A persona's regression tests (``*.test.yaml``), run by ``voicecli test``."""
    return path.name.endswith(TEST_SUFFIXES)


def yaml_files(folder: Path) -> list[Path]:
    """Every YAML file in ``folder`` (not recursive), sorted."""
    return sorted(path for path in folder.iterdir() if path.suffix in PERSONA_SUFFIXES and path.is_file())


def persona_files(target: Path) -> Iterator[Path]:
    """A file as itself; a folder as its YAML files that are not scenarios, sorted."""
    if not target.is_dir():
        yield target
        return
    yield from (path for path in yaml_files(target) if not (is_scenario_file(path) or is_test_file(path)))


@dataclass(frozen=True)
class FoundPersona:
    """A persona file found by ``find_personas``.

    ``name`` is what ``--persona`` takes to reach it: the file name for one in the current folder, else
    the bare NAME; ``shadowed`` when an earlier folder already answers to that NAME.
    """

    name: str
    path: Path
    shadowed: bool


def find_personas() -> list[FoundPersona]:
    """The personas in the current folder, then every one a bare NAME can reach, in lookup order."""
    found: list[FoundPersona] = []
    seen_paths: set[Path] = set()
    seen_names: set[str] = set()
    # The current folder holds all sorts of YAML: only files with a persona section count there.
    for path in persona_files(Path.cwd()):
        if _declares_persona(path):
            seen_paths.add(path.resolve())
            found.append(FoundPersona(path.name, path, shadowed=False))
    for folder in persona_folders():
        if not folder.is_dir():
            continue
        for path in persona_files(folder):
            if path.resolve() in seen_paths:  # ./personas may be the shipped folder itself, in a checkout
                continue
            seen_paths.add(path.resolve())
            found.append(FoundPersona(path.stem, path, shadowed=path.stem in seen_names))
            seen_names.add(path.stem)
    return found


def _declares_persona(path: Path) -> bool:
    try:
        data, _ = read_document(path)
    except PersonaError:
        return False
    return isinstance(data, dict) and "persona" in data


def load_persona(name_or_path: str | Path) -> Persona:
    """Load and validate a persona; raise PersonaError listing every problem found."""
    path = resolve_persona_path(name_or_path)
    if path.is_file() and is_scenario_file(path):
        raise PersonaError(
            f"{path} is an emulator scenario, not a persona",
            hint="scenarios drive the emulator (docs/scenarios.md); pass the persona's own .yaml file",
        )
    if is_test_file(path):
        raise PersonaError(f"{path} holds persona tests, not a persona",
                           hint="run it with voicecli test (docs/testing-personas.md)")
    data, source = read_document(path)
    if data is None:
        raise PersonaError(f"{path} is empty", [f"{path}:1: expected a mapping with a 'persona' section"])
    validator = Validator(source)
    if validator.check(data):
        _check_consistency(data, validator)
    if validator.problems:
        count = len(validator.problems)
        raise PersonaError(f"{path} has {count} problem{'s' if count > 1 else ''}", validator.problems)
    return _build(path, data, source)


def _check_consistency(data: dict[str, Any], validator: Validator) -> None:
    """Rules the field-by-field check cannot express."""
    for index, tool in enumerate(data.get("tools") or []):
        handler = tool["handler"]
        at = ("tools", index, "handler")
        chosen = [key for key in ("python", "command") if handler.get(key) is not None]
        if len(chosen) != 1:
            validator.report(at, "needs exactly one of 'python' or 'command'")
        python = handler.get("python")
        if python is not None and not PYTHON_BINDING.match(python):
            validator.report((*at, "python"), f"expected 'module:function', got {python!r}")
    persona = data.get("persona") or {}
    session = data.get("session") or {}
    if persona.get("voice") and session.get("voice") and persona["voice"] != session["voice"]:
        validator.report(("session", "voice"), "differs from persona.voice; set the voice in one place")
    compression = session.get("compression") or {}
    trigger, target = compression.get("trigger_tokens"), compression.get("target_tokens")
    if trigger is not None and target is not None and target >= trigger:
        validator.report(("session", "compression", "target_tokens"), "must be smaller than trigger_tokens")


def _present(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value is not None}


def _build(path: Path, data: dict[str, Any], source: SourceMap) -> Persona:
    info = _present(data.get("persona") or {})
    session = _present(data.get("session") or {})
    language = info.get("language")
    info["voice"] = info.get("voice") or session.pop("voice", None)
    session.pop("voice", None)
    default_languages = [language] if language else []
    greeting = _present(data["greeting"]) if data.get("greeting") is not None else None
    guardrails = _present(data["guardrails"]) if data.get("guardrails") is not None else None
    return Persona(
        path=path,
        persona=PersonaInfo(**info),
        greeting=Greeting(text=greeting["text"], facts=greeting.get("facts") or {}) if greeting else None,
        rules=[Step(**_present(step)) for step in data.get("rules") or []],
        guardrails=Guardrails(
            must_not=guardrails.get("must_not") or [],
            examples=[Example(item["if"], item["then"]) for item in guardrails.get("examples") or []],
        )
        if guardrails is not None
        else None,
        tools=[_build_tool(tool) for tool in data.get("tools") or []],
        session=Session(
            model=session.get("model"),
            vad=session.get("vad", "server"),
            compression=Compression(**_present(session.get("compression") or {})),
            input_transcription_languages=session.get("input_transcription_languages") or default_languages,
            output_transcription_languages=session.get("output_transcription_languages") or default_languages,
        ),
        sections=[str(key) for key in data],
        source=source,
    )


def _build_tool(tool: dict[str, Any]) -> ToolSpec:
    handler = _present(tool["handler"])
    binding = HandlerBinding(**handler)
    timeout = handler.get("timeout_s") or tool.get("timeout_s") or DEFAULT_TOOL_TIMEOUT_S
    fields = _present({key: value for key, value in tool.items() if key not in {"handler", "timeout_s"}})
    return ToolSpec(handler=binding, timeout_s=float(timeout), **fields)
