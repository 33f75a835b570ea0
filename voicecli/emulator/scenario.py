"""Scenarios: the scripted agent side of a conversation, loaded from YAML.

A scenario is a list of steps, answered in order whatever the user says (the words recognised or
typed are ``{{ heard }}``); without a scenario the emulator's generic brain answers instead. The
first step may be marked ``opening: true``: it answers the opening greeting request (a text turn at
session start). Every other step answers the next user turn. When the steps run out, ``fallback``
answers (see ``docs/scenarios.md``).

A step says a line, may call tools, then goes on with the first of its ``then`` branches whose
``when`` holds for what the tools returned. A branch is itself a step body (say, tool_calls,
then), so one turn can chain calls the way a model does. Problems are found when the file loads
where they can be (unknown keys, a placeholder that names no earlier tool) and otherwise when the
scenario runs (a placeholder that renders empty, no branch for a result); both are ScenarioError.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from voicecli.emulator.templates import (
    EmptyPlaceholder,
    is_path,
    lookup,
    placeholders,
    render_text,
    render_value,
    root,
)

__all__ = ["Condition", "FaultSpec", "Scenario", "ScenarioError", "Step", "ToolCallSpec",
           "load_scenario", "lookup", "parse_scenario", "render_text", "render_value"]

HEARD = "heard"  # the user's words, known to a step's own say and args
_FAULT_KINDS = frozenset({"drop", "close", "go_away", "malformed", "delay_ms"})
_FAULT_WHEN = frozenset({"start", "tool_call", "end"})
_STEP_KEYS = frozenset({"say", "user", "opening", "tool_calls", "then", "faults"})
_BRANCH_KEYS = frozenset({"when", "say", "tool_calls", "then"})
_OUTCOMES = {"ok": True, "error": False}


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file (or scenario) and the place."""


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


def _failed(response: Any) -> bool:
    return isinstance(response, Mapping) and "error" in response


def _same(found: Any, expected: Any) -> bool:
    # YAML true must not match a field holding 1, nor 0 match false.
    if isinstance(found, bool) or isinstance(expected, bool):
        return found is expected
    return bool(found == expected)


@dataclass(frozen=True)
class Condition:
    """When a branch applies: every check holds over the latest response of each tool.

    ``outcomes``: (tool, wants_ok): the tool answered, without (ok) or with (error) an ``error``.
    ``fields``: (path, value): the field equals the value; ``None`` also matches an absent field.
    """

    outcomes: tuple[tuple[str, bool], ...] = ()
    fields: tuple[tuple[str, Any], ...] = ()

    def holds(self, results: Mapping[str, Any]) -> bool:
        for tool, wants_ok in self.outcomes:
            if tool not in results or _failed(results[tool]) == wants_ok:
                return False
        return all(_same(lookup(results, path), value) for path, value in self.fields)

    @property
    def tools(self) -> list[str]:
        return [tool for tool, _ in self.outcomes] + [root(path) for path, _ in self.fields]


@dataclass(frozen=True)
class Step:
    """A top-level step (answers one turn) or a branch of a ``then`` (goes on with the same turn)."""

    say: str = ""
    user: str | None = None
    opening: bool = False
    tool_calls: tuple[ToolCallSpec, ...] = ()
    then: tuple[Step, ...] = ()
    faults: tuple[FaultSpec, ...] = ()
    when: Condition | None = None
    where: str = field(default="", compare=False)  # e.g. steps[4].then[0], for error messages

    def walk(self) -> Iterator[Step]:
        """This body and every branch below it."""
        yield self
        for branch in self.then:
            yield from branch.walk()

    def line(self, context: Mapping[str, Any]) -> str:
        """The ``say`` text, filled in."""
        try:
            return render_text(self.say, context)
        except EmptyPlaceholder as error:
            raise ScenarioError(f"{self.where}: {error}") from None

    def call_args(self, spec: ToolCallSpec, context: Mapping[str, Any]) -> Any:
        try:
            return render_value(spec.args, context)
        except EmptyPlaceholder as error:
            raise ScenarioError(f"{self.where}: {spec.name} args: {error}") from None

    def branch(self, results: Mapping[str, Any]) -> Step | None:
        """The first ``then`` branch whose ``when`` holds; None when there is no ``then``."""
        if not self.then:
            return None
        for branch in self.then:
            if branch.when is None or branch.when.holds(results):
                return branch
        tools = dict.fromkeys(tool for branch in self.then if branch.when for tool in branch.when.tools)
        seen = ", ".join(f"{tool} {_outcome(results, tool)}" for tool in tools)
        raise ScenarioError(f"{self.where}.then: no branch matches ({seen})")


def _outcome(results: Mapping[str, Any], tool: str) -> str:
    if tool not in results:
        return "not called"
    return "error" if _failed(results[tool]) else "ok"


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    fallback: Step = field(default_factory=lambda: Step(say="I heard {{ heard }}.", where="fallback"))

    @property
    def opening(self) -> Step | None:
        return self.steps[0] if self.steps and self.steps[0].opening else None

    @property
    def turns(self) -> tuple[Step, ...]:
        """The steps that answer user turns, in order."""
        return self.steps[1:] if self.opening else self.steps

    def turn_step(self, body: Step) -> Step:
        """The top-level step (or the fallback) that ``body`` is part of."""
        for top in (*self.steps, self.fallback):
            if any(node is body for node in top.walk()):
                return top
        return body


# ---- parsing ---------------------------------------------------------------------------------


def _keys(keys: Any) -> str:
    return ", ".join(sorted(str(key) for key in keys))


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
        raise ScenarioError(f"{where}: name exactly one of {_keys(_FAULT_KINDS)}")
    unknown = set(raw) - _FAULT_KINDS - {"when"}
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {_keys(unknown)}")
    kind = kinds.pop()
    when = str(raw.get("when", "start"))
    if when not in _FAULT_WHEN:
        raise ScenarioError(f"{where}.when: one of {_keys(_FAULT_WHEN)}")
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
        raise ScenarioError(f"{where}: unknown keys {_keys(unknown)}")
    args = raw.get("args") or {}
    if not isinstance(args, dict):
        raise ScenarioError(f"{where}.args: expected a mapping")
    blocking = raw.get("blocking")
    if blocking is not None and not isinstance(blocking, bool):
        raise ScenarioError(f"{where}.blocking: expected true or false")
    return ToolCallSpec(name=raw["name"], args=args, blocking=blocking)


def _condition(raw: Any, where: str) -> Condition:
    example = "{schedule_appointment: ok} or {get_next_appointment.appointment: null}"
    if not isinstance(raw, dict) or not raw:
        raise ScenarioError(f"{where}: expected a mapping such as {example}")
    outcomes: list[tuple[str, bool]] = []
    fields: list[tuple[str, Any]] = []
    for key, value in raw.items():
        path = str(key).strip()
        if not is_path(path):
            raise ScenarioError(f"{where}.{key}: not a tool name or field path such as tool.field[0]")
        if path == root(path):  # a bare tool name: its outcome
            if value not in _OUTCOMES:
                raise ScenarioError(f"{where}.{path}: a tool's outcome is ok or error; "
                                    f"compare a field as {path}.field: value")
            outcomes.append((path, _OUTCOMES[value]))
        elif isinstance(value, (dict, list)):
            raise ScenarioError(f"{where}.{path}: compare with one value (text, number, true, false or null)")
        else:
            fields.append((path, value))
    return Condition(tuple(outcomes), tuple(fields))


def _then(raw: Any, source: str, where: str) -> tuple[Step, ...]:
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        return (Step(say=raw, where=f"{where}.then"),)
    if not isinstance(raw, list) or not raw:
        raise ScenarioError(f"{source}: {where}.then: expected text, or a list of branches")
    branches = tuple(_body(item, source, f"{where}.then[{i}]", branch=True) for i, item in enumerate(raw))
    for i, branch in enumerate(branches[:-1]):
        if branch.when is None:
            raise ScenarioError(f"{source}: {where}.then[{i}]: only the last branch may leave out when "
                                "(the branches after it could never run)")
    return branches


def _body(raw: Any, source: str, where: str, *, branch: bool) -> Step:
    here = f"{source}: {where}"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{here}: expected a mapping")
    unknown = set(raw) - (_BRANCH_KEYS if branch else _STEP_KEYS)
    if unknown:
        hint = f" (a branch takes {_keys(_BRANCH_KEYS)})" if branch else ""
        raise ScenarioError(f"{here}: unknown keys {_keys(unknown)}{hint}")
    calls = raw.get("tool_calls") or []
    faults = raw.get("faults") or []
    if not isinstance(calls, list) or not isinstance(faults, list):
        raise ScenarioError(f"{here}: tool_calls and faults are lists")
    if branch and "when" in raw:
        when: Condition | None = _condition(raw["when"], f"{here}.when")
    else:
        when = None
    user = raw.get("user")
    return Step(
        say=_text(raw, "say", here),
        user=str(user) if user is not None else None,
        opening=bool(raw.get("opening", False)),
        tool_calls=tuple(_tool_call(c, f"{here}.tool_calls[{i}]") for i, c in enumerate(calls)),
        then=_then(raw.get("then"), source, where),
        faults=tuple(_fault(f, f"{here}.faults[{i}]") for i, f in enumerate(faults)),
        when=when,
        where=where,
    )


# ---- placeholders, checked when the file loads --------------------------------------------------


def _check_paths(value: Any, known: set[str], here: str) -> None:
    for path in placeholders(value):
        if not is_path(path):
            raise ScenarioError(f"{here}: {{{{ {path} }}}} is not a field path such as {{{{ tool.field[0] }}}}")
        name = root(path)
        if name == HEARD and HEARD not in known:
            raise ScenarioError(f"{here}: {{{{ {path} }}}} is only known in a step's own say and args")
        if name not in known:
            raise ScenarioError(f"{here}: {{{{ {path} }}}} names {name}, which no tool call before it makes")


def _check_body(body: Step, known: set[str], source: str, *, top: bool) -> None:
    """Every placeholder and condition of ``body`` names a tool called before it (or ``heard``)."""
    here = f"{source}: {body.where}"
    own = known | {HEARD} if top else known
    _check_paths(body.say, own, here)
    for i, spec in enumerate(body.tool_calls):
        _check_paths(spec.args, own, f"{here}.tool_calls[{i}].args")
    after = known | {spec.name for spec in body.tool_calls}
    for branch in body.then:
        if branch.when is not None:
            for name in branch.when.tools:
                if name not in after:
                    raise ScenarioError(f"{source}: {branch.where}.when: names {name}, "
                                        "which no tool call before it makes")
        _check_body(branch, after, source, top=False)


def _check_placeholders(steps: tuple[Step, ...], fallback: Step, source: str) -> None:
    known: set[str] = set()
    for step in steps:
        _check_body(step, known, source, top=True)
        known |= {spec.name for node in step.walk() for spec in node.tool_calls}
    _check_body(fallback, known, source, top=True)


def parse_scenario(data: Any, source: str) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping with 'steps'")
    unknown = set(data) - {"name", "steps", "fallback"}
    if unknown:
        raise ScenarioError(f"{source}: unknown keys {_keys(unknown)}")
    raw_steps = data.get("steps") or []
    if not isinstance(raw_steps, list):
        raise ScenarioError(f"{source}: steps: expected a list")
    steps = tuple(_body(raw, source, f"steps[{i}]", branch=False) for i, raw in enumerate(raw_steps))
    for i, step in enumerate(steps[1:], start=1):
        if step.opening:
            raise ScenarioError(f"{source}: steps[{i}].opening: only the first step may be the opening")
    name = str(data.get("name") or Path(source).stem)
    scenario = Scenario(name=name, steps=steps)
    if "fallback" in data:
        scenario = Scenario(name=name, steps=steps, fallback=_body(data["fallback"], source, "fallback",
                                                                   branch=False))
    _check_placeholders(scenario.steps, scenario.fallback, source)
    return scenario


def load_scenario(path: Path) -> Scenario:
    """Load a scenario file (without one, the emulator's generic brain answers instead)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not valid YAML ({error})") from None
    return parse_scenario(data, str(path))
