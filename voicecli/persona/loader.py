"""Find a persona by name or path, and load it into a ``Persona``, reporting every problem at once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from voicecli.errors import PersonaError
from voicecli.paths import personas_dir
from voicecli.persona.derive import Derived, derived_fields
from voicecli.persona.model import (
    DEFAULT_TOOL_TIMEOUT_S,
    EMPTY_PARAMETERS,
    Document,
    Persona,
    ToolEntry,
    ToolSpec,
)
from voicecli.persona.schema import SECTION_ORDER
from voicecli.persona.source import SourceMap, format_path, read_document
from voicecli.persona.validate import validate_document

PERSONA_SUFFIXES = (".yaml", ".yml")
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
    document, problems = validate_document(data, source)
    derived: dict[int, Derived] = {}
    if document is not None:
        derived = _derive_tools(document, path.parent)
        problems = [
            f"{source.where(('tools', index, 'handler', 'python'))}: "
            f"{format_path(('tools', index, 'handler', 'python'))}: {found.problem}"
            for index, found in derived.items()
            if found.problem
        ]
    if problems or document is None:
        count = len(problems)
        raise PersonaError(f"{path} has {count} problem{'s' if count > 1 else ''}", problems)
    return _build(path, document, data, source, derived)


def _derive_tools(document: Document, folder: Path) -> dict[int, Derived]:
    """Index -> description/parameters derived for Python-handler tools that omit them."""
    found: dict[int, Derived] = {}
    for index, tool in enumerate(document.tools):
        python = tool.handler.python if tool.handler else None
        if python is None or (tool.description is not None and tool.parameters is not None):
            continue
        written = {key: True for key in ("description", "parameters") if getattr(tool, key) is not None}
        found[index] = derived_fields(python, folder, written)
    return found


def _build(path: Path, document: Document, data: dict[str, Any], source: SourceMap,
           derived: dict[int, Derived]) -> Persona:
    """The persona the rest of voicecli reads: the voice in one place, transcription in the persona's
    language unless set, every tool as a ``ToolSpec``."""
    info, session = document.persona, document.session
    voice = info.voice or session.voice
    languages = [info.language] if info.language else []
    return Persona(
        path=path,
        persona=replace(info, voice=voice),
        greeting=document.greeting,
        rules=document.rules,
        guardrails=document.guardrails,
        tools=[_build_tool(tool, derived.get(index)) for index, tool in enumerate(document.tools)],
        handoffs=document.handoffs,
        mcp_servers=document.mcp_servers,
        session=replace(
            session,
            voice=voice,
            input_transcription_languages=session.input_transcription_languages or languages,
            output_transcription_languages=session.output_transcription_languages or languages,
        ),
        sections=[str(key) for key in data],
        source=source,
    )


def _build_tool(tool: ToolEntry, derived: Derived | None) -> ToolSpec:
    if tool.builtin is not None:
        return ToolSpec(name=tool.builtin, handler=None, when=tool.when, builtin=tool.builtin)
    assert tool.name is not None and tool.handler is not None  # ToolEntry's own rule
    fields: dict[str, Any] = derived.fields if derived else {}
    return ToolSpec(
        name=tool.name,
        handler=tool.handler,
        description=tool.description if tool.description is not None else fields.get("description"),
        when=tool.when,
        parameters=tool.parameters if tool.parameters is not None else fields.get("parameters", dict(EMPTY_PARAMETERS)),
        behavior=tool.behavior,
        timeout_s=tool.handler.timeout_s or tool.timeout_s or DEFAULT_TOOL_TIMEOUT_S,
        derived=fields.get("derived", ()),
    )
