"""Find test files and load them, reporting every problem at once as ``file:line: path: message``."""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from voicecli.errors import PersonaError, UsageError
from voicecli.persona.loader import TEST_SUFFIXES, is_test_file, resolve_persona_path, yaml_files
from voicecli.persona.source import PathKey, SourceMap, format_path, read_document
from voicecli.persona_tests.model import NO_SCENARIO, CaseExpect, PersonaTests, Turn

T = TypeVar("T")
DEFAULT_REPEAT = 1
DEFAULT_PASS_RATE = 1.0
DEFAULT_TIMEOUT_S = 120.0


class InvalidTests(UsageError):
    """A test file that cannot be read or does not follow the format (exit 2)."""


@dataclass(frozen=True)
class TestCase:
    """One case with the file's defaults applied and its paths resolved."""

    __test__ = False  # not a pytest class

    name: str
    file: Path
    line: int
    turns: list[Turn]
    expect: CaseExpect
    turn_lines: list[int]
    repeat: int = DEFAULT_REPEAT
    pass_rate: float = DEFAULT_PASS_RATE
    timeout_s: float = DEFAULT_TIMEOUT_S
    scenario: Path | Literal["none"] | None = None
    greeting: bool = True
    env: dict[str, str] = field(default_factory=dict)
    description: str | None = None

    @property
    def inputs(self) -> list[Path | None]:
        """Each turn's WAV file (resolved), or None for spoken and typed turns."""
        return [self.file.parent / turn.input if turn.input is not None else None for turn in self.turns]


@dataclass(frozen=True)
class Suite:
    """The cases of one test file and the persona they test."""

    path: Path
    persona_path: Path
    cases: list[TestCase]


def find_test_files(targets: list[str]) -> list[Path]:
    """Test files named by targets: test files, folders of them, or personas (NAME.test.yaml beside each)."""
    found: list[Path] = []
    for target in targets:
        path = Path(target).expanduser()
        if path.is_dir():
            in_folder = [file for file in yaml_files(path) if is_test_file(file)]
            if not in_folder:
                raise UsageError(f"{path}: no test files (*.test.yaml) in this folder",
                                 hint="see docs/testing-personas.md for the format")
            found += in_folder
        elif is_test_file(path):
            if not path.is_file():
                raise UsageError(f"{path}: no such test file")
            found.append(path)
        else:
            found.append(_tests_beside(resolve_persona_path(target)))
    unique: dict[Path, Path] = {}
    for file in found:
        unique.setdefault(file.resolve(), file)
    return list(unique.values())


def _tests_beside(persona_path: Path) -> Path:
    stem = persona_path.name.removesuffix(persona_path.suffix)
    candidates = [persona_path.with_name(f"{stem}{suffix}") for suffix in TEST_SUFFIXES]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise UsageError(f"no tests for {persona_path}: expected {candidates[0]}",
                     hint="write one (docs/testing-personas.md), or pass a .test.yaml file")


def load_suite(path: Path) -> Suite:
    """Read and validate one test file; raise InvalidTests listing every problem found."""
    if not path.is_file():
        raise InvalidTests(f"{path}: no such test file")
    try:
        data, source = read_document(path)
    except PersonaError as error:  # unreadable, or not YAML: the same words fit a test file
        raise InvalidTests(": ".join([error.message, *error.problems[:1]])) from None
    if data is None:
        raise InvalidTests(f"{path}:1: the file is empty; it needs a 'cases' list")
    try:
        tests = PersonaTests.model_validate(data)
    except ValidationError as error:
        raise InvalidTests(_joined(f"{path} is not a valid test file", _problems(error, data, source))) from None
    problems: list[str] = []
    cases = [_resolve(path, source, tests, index, problems) for index in range(len(tests.cases))]
    if problems:
        raise InvalidTests(_joined(f"{path} is not a valid test file", problems))
    return Suite(path, _persona_path(path, tests.persona), cases)


def _joined(message: str, problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return "\n  ".join([message + ":", *problems])


def _persona_path(path: Path, persona: str | None) -> Path:
    if persona is None:
        stem = path.name
        for suffix in TEST_SUFFIXES:
            stem = stem.removesuffix(suffix)
        return path.with_name(f"{stem}.yaml")
    relative = path.parent / persona
    if relative.is_file():
        return relative
    return resolve_persona_path(persona)


def _resolve(path: Path, source: SourceMap, tests: PersonaTests, index: int, problems: list[str]) -> TestCase:
    case, defaults = tests.cases[index], tests.defaults
    at: PathKey = ("cases", index)

    def report(where: PathKey, message: str) -> None:
        problems.append(f"{source.where(where)}: {format_path(where)}: {message}")

    for number, turn in enumerate(case.turns):
        if turn.input is not None and not (path.parent / turn.input).is_file():
            report((*at, "turns", number, "input"), f"no such WAV file: {path.parent / turn.input}")
    greeting = _first(case.greeting, defaults.greeting, True)
    if case.turns and case.turns[0].barge_in_ms is not None and not greeting:
        report((*at, "turns", 0, "barge_in_ms"), "the first turn barges in, but without a greeting the agent "
               "has not spoken yet")
    scenario_text = case.scenario if case.scenario is not None else defaults.scenario
    scenario: Path | Literal["none"] | None = None
    if scenario_text == NO_SCENARIO:
        scenario = NO_SCENARIO
    elif scenario_text is not None:
        scenario = path.parent / scenario_text
        if not scenario.is_file():
            where: PathKey = (*at, "scenario") if case.scenario is not None else ("defaults", "scenario")
            report(where, f"no such scenario file: {scenario}")
    return TestCase(
        name=case.name,
        file=path,
        line=source.line_of(at),
        turns=list(case.turns),
        expect=case.expect,
        turn_lines=[source.line_of((*at, "turns", number)) for number in range(len(case.turns))],
        repeat=_first(case.repeat, defaults.repeat, DEFAULT_REPEAT),
        pass_rate=_first(case.pass_rate, defaults.pass_rate, DEFAULT_PASS_RATE),
        timeout_s=_first(case.timeout_s, defaults.timeout_s, DEFAULT_TIMEOUT_S),
        scenario=scenario,
        greeting=greeting,
        env={**defaults.env, **case.env},
        description=case.description,
    )


def _first(*values: T | None) -> T:
    for value in values:
        if value is not None:
            return value
    raise ValueError("no value")  # the last value is always a default


def _problems(error: ValidationError, data: Any, source: SourceMap) -> list[str]:
    problems: list[tuple[int, str]] = []
    for item in error.errors():
        path = _data_path(data, item["loc"])
        kind, message = item["type"], str(item["msg"])
        if kind == "extra_forbidden":
            message = f"unknown key {path[-1]!r}{_suggestion(str(path[-1]))}"
        elif kind == "missing":
            path, message = path[:-1], f"missing required key {path[-1]!r}"
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
        line = source.line_of(path)
        problems.append((line, f"{source.file}:{line}: {format_path(path)}: {message}"))
    return [text for _, text in sorted(problems, key=lambda problem: problem[0])]


def _data_path(data: Any, loc: tuple[int | str, ...]) -> PathKey:
    """The error's location in the document, leaving out pydantic's own markers (union members, validators)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_mapping = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_mapping or in_list:
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and part in _all_field_names():
            node = None  # a key the document lacks
            path.append(part)
    return tuple(path)


@functools.cache
def _all_field_names() -> set[str]:
    names: set[str] = set()
    stack: list[type[BaseModel]] = [PersonaTests]
    seen: set[type[BaseModel]] = set()
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            names.add(name)
            stack.extend(_models_in(info.annotation))
    return names


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for argument in getattr(annotation, "__args__", ()) for model in _models_in(argument)]


def _suggestion(key: str) -> str:
    close = difflib.get_close_matches(key, sorted(_all_field_names()), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
