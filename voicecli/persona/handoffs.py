"""Where a handoff leads: the target persona, found the way ``--persona`` finds one, or beside this file."""

from __future__ import annotations

from pathlib import Path

from voicecli.errors import PersonaError
from voicecli.persona.loader import PERSONA_SUFFIXES, load_persona, persona_folders
from voicecli.persona.model import Handoff, Persona


def handoff_target_path(persona: Persona, handoff: Handoff) -> Path:
    """A path (``/`` or a ``.yaml`` suffix) is relative to the persona's folder; a bare NAME is looked
    for beside the persona first, then in ``./personas`` and the shipped personas, as ``--persona NAME``."""
    target = handoff.target
    if "/" in target or target.endswith(PERSONA_SUFFIXES):
        path = Path(target).expanduser()
        return path if path.is_absolute() else persona.folder / path
    searched = [persona.folder, *persona_folders()]
    for folder in searched:
        for suffix in PERSONA_SUFFIXES:
            path = folder / f"{target}{suffix}"
            if path.is_file():
                return path
    raise PersonaError(
        f"{persona.name} hands off to {target!r}, and no persona has that name",
        [f"looked in {folder}" for folder in dict.fromkeys(searched)],
        hint="name a persona beside this file or a shipped one, or give a path relative to this file",
    )


def load_handoff_target(persona: Persona, handoff: Handoff) -> Persona:
    """The persona ``handoff`` transfers to; PersonaError when it cannot be found or loaded."""
    path = handoff_target_path(persona, handoff)
    if not path.is_file():
        raise PersonaError(
            f"{persona.name} hands off to {handoff.target!r}, which is not a file",
            [f"looked for {path}"],
            hint="a handoff path is relative to the persona file that names it",
        )
    return load_persona(path)


def hands_over_on_arrival(persona: Persona) -> list[Handoff]:
    """The handoffs ``persona`` makes as soon as it takes over, before the user speaks to it.

    Those whose transfer tool its first step lists; every handoff when it has no steps at all (it has
    nothing else to do). A user turn always comes before any other handoff.
    """
    if not persona.rules:
        return list(persona.handoffs)
    first = set(persona.rules[0].tools)
    return [handoff for handoff in persona.handoffs if handoff.tool_name in first]


def arrival_loop(start: Persona) -> list[str] | None:
    """Names along a loop of on-arrival handoffs reachable from ``start``, or None when there is none.

    Every persona reachable through any handoff is visited once (unloadable targets are skipped: they
    have their own finding); from each, on-arrival handoffs are followed depth first, and reaching a
    persona already on the current path is a loop the user never gets a turn to break.
    """
    loaded: dict[Path, Persona] = {start.path.resolve(): start}

    def targets(persona: Persona, handoffs: list[Handoff]) -> list[Persona]:
        found = []
        for handoff in handoffs:
            try:
                path = handoff_target_path(persona, handoff).resolve()
                if path not in loaded:
                    loaded[path] = load_persona(path)
            except PersonaError:
                continue
            found.append(loaded[path])
        return found

    reachable: list[Persona] = [start]
    seen = {start.path.resolve()}
    for persona in reachable:  # grows while iterating: a breadth-first walk over every handoff
        for target in targets(persona, persona.handoffs):
            if target.path.resolve() not in seen:
                seen.add(target.path.resolve())
                reachable.append(target)

    def walk(persona: Persona, path: list[Persona]) -> list[str] | None:
        keys = [p.path.resolve() for p in path]
        if persona.path.resolve() in keys:
            loop = path[keys.index(persona.path.resolve()):]
            return [p.name for p in [*loop, persona]]
        for target in targets(persona, hands_over_on_arrival(persona)):
            found = walk(target, [*path, persona])
            if found:
                return found
        return None

    for persona in reachable:
        loop = walk(persona, [])
        if loop:
            return loop
    return None
