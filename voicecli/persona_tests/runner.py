"""Run the cases: plan every run, hand them to ``--jobs`` worker processes, check what each one recorded.

Each worker runs ``talk``'s own assembly and streams its ``--json`` events back; the runner only reads
events. Workers are separate processes so runs at once share nothing (event loop, environment,
the tools' databases), and a run that hangs can be stopped by ending its process.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import math
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voicecli.errors import UsageError
from voicecli.persona_tests.expectations import Failure, PersonaFacts, check_run, p95
from voicecli.persona_tests.loader import Suite, TestCase
from voicecli.persona_tests.pacing import MAX_ATTEMPTS, Pacing, is_overload
from voicecli.persona_tests.record import RunRecord, read_events
from voicecli.persona_tests.spec import RUN_END, RunSpec, TurnSpec

if TYPE_CHECKING:
    from voicecli.persona import Persona

BARGE_IN_SPEED = 1.0  # a barge-in needs the agent to be speaking: offline, the emulator talks in real time
GRACE_S = 30.0  # beyond a run's own timeout, before its worker is stopped
STDERR_LINES = 20
_LINE_LIMIT = 16 * 1024 * 1024  # one event line (tool results can be large)


@dataclass(frozen=True)
class RunOptions:
    offline: bool = True
    backend: str | None = None
    model: str | None = None
    jobs: int = 1
    record_dir: Path | None = None  # keep each run's audio and events here
    repeat: int | None = None  # overrides every case's repeat


@dataclass
class RunResult:
    case: TestCase
    number: int  # 1-based, among the case's repeats
    record: RunRecord
    failures: list[Failure]
    attempts: int = 1
    record_path: Path | None = None
    stderr: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class CaseResult:
    suite: Suite
    case: TestCase
    runs: list[RunResult]

    @property
    def passed_runs(self) -> int:
        return sum(run.passed for run in self.runs)

    @property
    def needed(self) -> int:
        # round() first: 0.8 x 5 is 4.000000000000001 in floating point.
        return max(1, math.ceil(round(self.case.pass_rate * len(self.runs), 6)))

    @property
    def passed_case(self) -> bool:
        return self.passed_runs >= self.needed

    @property
    def p95_ms(self) -> float | None:
        return p95(value for run in self.runs for value in run.record.latencies_ms)


@dataclass
class _Planned:
    suite: Suite
    case: TestCase
    number: int
    facts: PersonaFacts
    attempts: int = 0


@dataclass
class _RawRun:
    events: list[dict[str, Any]]
    exit_code: int | None
    stderr: list[str]
    problem: str | None = None  # the worker died or had to be stopped


def select_cases(suites: list[Suite], keywords: list[str]) -> list[Suite]:
    """Keep the cases whose name (or ``file::name``) contains any keyword, case-insensitively."""
    if not keywords:
        return suites
    wanted = [keyword.lower() for keyword in keywords]
    kept = []
    for suite in suites:
        cases = [case for case in suite.cases
                 if any(word in f"{suite.path.name}::{case.name}".lower() for word in wanted)]
        if cases:
            kept.append(Suite(suite.path, suite.persona_path, cases))
    if not kept:
        raise UsageError(f"no case matches -k {' / '.join(keywords)}", hint="run without -k to see every case")
    return kept


def persona_facts(suite: Suite) -> PersonaFacts:
    from voicecli.persona import load_persona

    persona = load_persona(suite.persona_path)
    return PersonaFacts(persona.name, persona.persona.language,
                        tuple(persona.session.output_transcription_languages),
                        declared_tools(persona))


def declared_tools(persona: Persona) -> tuple[str, ...]:
    """The calls a conversation with ``persona`` may make: its tools, its handoffs, and what the
    agents it hands off to declare (a case follows the conversation across a handoff)."""
    from voicecli.errors import PersonaError
    from voicecli.persona import load_handoff_target

    names = [tool.name for tool in persona.tools] + [handoff.tool_name for handoff in persona.handoffs]
    for handoff in persona.handoffs:
        try:
            target = load_handoff_target(persona, handoff)
        except PersonaError:
            continue  # lint reports a missing target; the case then fails on the call itself
        names += [tool.name for tool in target.tools if tool.name not in names]
    return tuple(names)


def run_suites(suites: list[Suite], options: RunOptions,
               on_result: Callable[[RunResult], None] | None = None) -> list[CaseResult]:
    """Run every case of ``suites`` as often as it asks; results in file and case order."""
    facts = {suite.path: persona_facts(suite) for suite in suites}
    plan = [_Planned(suite, case, number, facts[suite.path])
            for suite in suites for case in suite.cases
            for number in range(1, (options.repeat or case.repeat) + 1)]
    if options.offline:
        _prepare_emulator_certificates()
    results = asyncio.run(_run_plan(plan, options, on_result or (lambda _: None)))
    by_case: dict[tuple[Path, str], CaseResult] = {}
    for item in plan:
        key = (item.suite.path, item.case.name)
        by_case.setdefault(key, CaseResult(item.suite, item.case, []))
    for result in sorted(results, key=lambda result: result.number):
        by_case[(result.case.file, result.case.name)].runs.append(result)
    return list(by_case.values())


def _prepare_emulator_certificates() -> None:
    # Made once here: workers starting together on a fresh data directory would each write their own.
    from voicecli.emulator.tls import ensure_tls_files
    from voicecli.paths import data_dir, storage_errors

    folder = data_dir() / "emulator-ca"
    with storage_errors(folder, "the offline emulator's TLS certificates"):
        ensure_tls_files(folder)


async def _run_plan(plan: list[_Planned], options: RunOptions,
                    on_result: Callable[[RunResult], None]) -> list[RunResult]:
    pacing = Pacing(options.jobs, time.monotonic, random.Random())
    queue = collections.deque(plan)
    results: list[RunResult] = []

    async def lane(index: int) -> None:
        worker = _Worker()
        try:
            while queue:
                wait = pacing.wait_s(index)
                if wait is None or wait > 0:
                    await asyncio.sleep(0.2 if wait is None else wait)
                    continue
                item = queue.popleft()
                item.attempts += 1
                result = await _one_run(worker, item, options)
                if item.attempts < MAX_ATTEMPTS and not result.record.finished and is_overload(result.record.error):
                    pacing.on_overload()
                    queue.appendleft(item)  # the service pushed back: this run does not count, it runs again
                    continue
                if result.record.finished:
                    pacing.on_success()
                results.append(result)
                on_result(result)
        finally:
            await worker.close()

    async with asyncio.TaskGroup() as group:
        for index in range(min(options.jobs, len(plan))):
            group.create_task(lane(index))
    return results


async def _one_run(worker: _Worker, item: _Planned, options: RunOptions) -> RunResult:
    run_dir, keep = _run_folder(item, options)
    spec = _spec(item, options, run_dir)
    try:
        raw = await worker.run(spec, spec.timeout_s + GRACE_S)
        if keep:
            with (run_dir / "events.jsonl").open("w", encoding="utf-8") as out:
                out.writelines(json.dumps(event, ensure_ascii=False) + "\n" for event in raw.events)
    finally:
        if not keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    record = read_events(raw.events, raw.exit_code)
    if raw.problem is not None:
        record.error = raw.problem
    failures = check_run(item.case, record, item.facts)
    return RunResult(item.case, item.number, record, failures, item.attempts, run_dir if keep else None,
                     raw.stderr)


def _run_folder(item: _Planned, options: RunOptions) -> tuple[Path, bool]:
    if options.record_dir is None:
        return Path(tempfile.mkdtemp(prefix="voicecli-test-")), False
    stem = item.suite.path.name.split(".")[0]
    folder = options.record_dir / stem / _slug(item.case.name) / f"run-{item.number}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder, True


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "case"


def _spec(item: _Planned, options: RunOptions, run_dir: Path) -> RunSpec:
    case = item.case
    barges_in = any(turn.barge_in_ms is not None for turn in case.turns)
    turns = [TurnSpec(turn.kind, str(path) if path is not None else turn.value, turn.pause_ms / 1000,
                      None if turn.barge_in_ms is None else turn.barge_in_ms / 1000)
             for turn, path in zip(case.turns, case.inputs, strict=True)]
    scenario = None if case.scenario is None else str(case.scenario)
    return RunSpec(
        persona=str(item.suite.persona_path),
        turns=turns,
        run_dir=str(run_dir),
        offline=options.offline,
        backend=options.backend,
        model=options.model,
        scenario=scenario,
        greeting=case.greeting,
        timeout_s=case.expect.within_s or case.timeout_s,
        speed=BARGE_IN_SPEED if barges_in else 0.0,
        # The real service hears the user at the pace of speech; the emulator takes audio as fast as it comes.
        realtime=not options.offline,
        record=options.record_dir is not None,
        env={name: value.replace("{run_dir}", str(run_dir)) for name, value in case.env.items()},
    )


class _Worker:
    """One worker process, started on first use and again after it dies or is stopped."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._drain: asyncio.Task[None] | None = None

    async def run(self, spec: RunSpec, deadline_s: float) -> _RawRun:
        process = await self._started()
        assert process.stdin is not None and process.stdout is not None
        self._stderr.clear()
        events: list[dict[str, Any]] = []
        try:
            process.stdin.write((spec.to_json() + "\n").encode())
            await process.stdin.drain()
            async with asyncio.timeout(deadline_s):
                while True:
                    line = await process.stdout.readline()
                    if not line:
                        await self._ended()
                        return _RawRun(events, None, list(self._stderr),
                                       f"the worker process stopped unexpectedly{self._last_words()}")
                    event = _parse(line)
                    if event is None:
                        continue
                    if event.get("type") == RUN_END:
                        return _RawRun(events, int(event.get("exit_code", 1)), list(self._stderr))
                    events.append(event)
        except TimeoutError:
            await self.close()
            return _RawRun(events, None, list(self._stderr),
                           f"the run did not end within {deadline_s:g} s; its worker was stopped")
        except (BrokenPipeError, ConnectionResetError):
            await self._ended()
            return _RawRun(events, None, list(self._stderr), f"the worker process stopped{self._last_words()}")

    async def _started(self) -> asyncio.subprocess.Process:
        if self._process is None or self._process.returncode is not None:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "voicecli.persona_tests.worker",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                limit=_LINE_LIMIT,
            )
            self._drain = asyncio.create_task(self._read_stderr(self._process))
        return self._process

    async def _read_stderr(self, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        async for line in process.stderr:
            self._stderr.append(line.decode(errors="replace").rstrip())

    def _last_words(self) -> str:
        return f": {self._stderr[-1]}" if self._stderr else ""

    async def _ended(self) -> None:
        if self._process is not None:
            await self._process.wait()
        if self._drain is not None:
            await self._drain

    async def close(self) -> None:
        """Stop the process: stdin closed first (it exits between runs), then ended if it does not."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                async with asyncio.timeout(2):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._drain is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
            self._drain = None


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None  # not an event: something printed by a tool, say
    return event if isinstance(event, dict) else None
