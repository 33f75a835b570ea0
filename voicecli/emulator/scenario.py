"""Scenarios: the scripted agent side of a conversation, loaded from YAML.

A scenario is a list of steps. The first step may be marked ``opening: true``: it answers the
opening greeting request (a text turn at session start). Every other step answers the next user
turn. When the steps run out, ``fallback`` answers (see ``docs/scenarios.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

GENERIC_SCENARIO = Path(__file__).parent / "scenarios" / "generic.yaml"
_TEMPLATE = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_FAULT_KINDS = frozenset({"drop", "close", "go_away", "malformed", "delay_ms"})
_FAULT_WHEN = frozenset({"start", "tool_call", "end"})


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class ToolCallSpec:
    name: str
    args: dict[str, Any]
    blocking: bool | None = None  # None: follow the function declaration's behavior


@dataclass(frozen=True)
class FaultSpec:
    kind: str  # drop | close | go_away | malformed | delay_ms
    when: str = "start"  # start | tool_call | end
    code: int = 1011
    reason: str = ""
    value: float = 0.0  # go_away timeLeft seconds, or delay in ms


@dataclass(frozen=True)
class Step:
    say: str = ""
    user: str | None = None
    opening: bool = False
    tool_calls: tuple[ToolCallSpec, ...] = ()
    then: str = ""
    faults: tuple[FaultSpec, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    fallback: Step = field(default_factory=lambda: Step(say="I heard {{ heard }}."))

    @property
    def opening(self) -> Step | None:
        return self.steps[0] if self.steps and self.steps[0].opening else None

    @property
    def turns(self) -> tuple[Step, ...]:
        """The steps that answer user turns, in order."""
        return self.steps[1:] if self.opening else self.steps


def render_text(template: str, context: dict[str, Any]) -> str:
    """Fill ``{{ tool.field[0] }}`` placeholders; an unknown path renders as empty text."""
    def replace(match: re.Match[str]) -> str:
        value = lookup(context, match.group(1))
        return "" if value is None else str(value)

    return _TEMPLATE.sub(replace, template)


def render_value(value: Any, context: dict[str, Any]) -> Any:
    """Render templated args. A string that is one whole placeholder keeps the value's own type."""
    if isinstance(value, str):
        whole = _TEMPLATE.fullmatch(value.strip())
        if whole:
            return lookup(context, whole.group(1))
        return render_text(value, context)
    if isinstance(value, dict):
        return {key: render_value(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    return value


def lookup(context: dict[str, Any], path: str) -> Any:
    """``name.a.b[0]`` in ``context``; a tool response wrapped as ``{"output": {...}}`` is seen through."""
    current: Any = context
    for name, index in _PATH_PART.findall(path.strip()):
        if isinstance(current, dict) and name and name not in current and isinstance(
                current.get("output"), dict):
            current = current["output"]
        if name:
            current = current.get(name) if isinstance(current, dict) else None
        elif isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        else:
            return None
        if current is None:
            return None
    return current


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise ScenarioError(f"{where}.{key}: expected text")
    return value


def _fault(raw: Any, where: str) -> FaultSpec:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: expected a mapping such as {{drop: true}}")
    kinds = set(raw) & _FAULT_KINDS
    if len(kinds) != 1:
        raise ScenarioError(f"{where}: name exactly one of {', '.join(sorted(_FAULT_KINDS))}")
    unknown = set(raw) - _FAULT_KINDS - {"when"}
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    kind = kinds.pop()
    when = str(raw.get("when", "start"))
    if when not in _FAULT_WHEN:
        raise ScenarioError(f"{where}.when: one of {', '.join(sorted(_FAULT_WHEN))}")
    body = raw[kind]
    if kind == "close":
        if not isinstance(body, dict) or not isinstance(body.get("code"), int):
            raise ScenarioError(f"{where}.close: expected {{code: 1011, reason: ...}}")
        return FaultSpec(kind, when, code=body["code"], reason=str(body.get("reason", "")))
    if kind in {"go_away", "delay_ms"}:
        if not isinstance(body, (int, float)) or isinstance(body, bool):
            raise ScenarioError(f"{where}.{kind}: expected a number")
        return FaultSpec(kind, when, value=float(body))
    return FaultSpec(kind, when)


def _tool_call(raw: Any, where: str) -> ToolCallSpec:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ScenarioError(f"{where}: expected {{name: ..., args: {{...}}}}")
    unknown = set(raw) - {"name", "args", "blocking"}
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    args = raw.get("args") or {}
    if not isinstance(args, dict):
        raise ScenarioError(f"{where}.args: expected a mapping")
    blocking = raw.get("blocking")
    if blocking is not None and not isinstance(blocking, bool):
        raise ScenarioError(f"{where}.blocking: expected true or false")
    return ToolCallSpec(name=raw["name"], args=args, blocking=blocking)


def _step(raw: Any, where: str) -> Step:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: expected a mapping")
    unknown = set(raw) - {"say", "user", "opening", "tool_calls", "then", "faults"}
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    calls = raw.get("tool_calls") or []
    faults = raw.get("faults") or []
    if not isinstance(calls, list) or not isinstance(faults, list):
        raise ScenarioError(f"{where}: tool_calls and faults are lists")
    user = raw.get("user")
    return Step(
        say=_text(raw, "say", where),
        user=str(user) if user is not None else None,
        opening=bool(raw.get("opening", False)),
        tool_calls=tuple(_tool_call(c, f"{where}.tool_calls[{i}]") for i, c in enumerate(calls)),
        then=_text(raw, "then", where),
        faults=tuple(_fault(f, f"{where}.faults[{i}]") for i, f in enumerate(faults)),
    )


def parse_scenario(data: Any, source: str) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping with 'steps'")
    unknown = set(data) - {"name", "steps", "fallback"}
    if unknown:
        raise ScenarioError(f"{source}: unknown keys {', '.join(sorted(unknown))}")
    raw_steps = data.get("steps") or []
    if not isinstance(raw_steps, list):
        raise ScenarioError(f"{source}: steps: expected a list")
    steps = tuple(_step(raw, f"{source}: steps[{i}]") for i, raw in enumerate(raw_steps))
    for i, step in enumerate(steps[1:], start=1):
        if step.opening:
            raise ScenarioError(f"{source}: steps[{i}].opening: only the first step may be the opening")
    name = str(data.get("name") or Path(source).stem)
    if "fallback" in data:
        return Scenario(name=name, steps=steps, fallback=_step(data["fallback"], f"{source}: fallback"))
    return Scenario(name=name, steps=steps)


def load_scenario(path: Path | None = None) -> Scenario:
    """Load a scenario file; ``None`` loads the generic fallback scenario."""
    path = path or GENERIC_SCENARIO
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not valid YAML ({error})") from None
    return parse_scenario(data, str(path))
