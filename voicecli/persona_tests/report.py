"""The results as data: what failed in each case, the transcript lines around it, the ``--json`` document."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voicecli.persona_tests.expectations import Failure
from voicecli.persona_tests.record import Line
from voicecli.persona_tests.runner import CaseResult, RunResult

CONTEXT_BEFORE = 3
CONTEXT_AFTER = 1


@dataclass(frozen=True)
class FailureView:
    """One failure of one run, with the transcript lines around the place it points at."""

    run: int
    failure: Failure
    context: list[tuple[bool, Line]]  # (is the line the failure points at, line)

    @property
    def text(self) -> str:
        return f"{self.failure.expectation}: {self.failure.message}"


def failure_views(case: CaseResult) -> list[FailureView]:
    """Every failure of every failed run, in run order."""
    return [FailureView(run.number, failure, context(run, failure))
            for run in case.runs for failure in run.failures]


def headline(case: CaseResult) -> str:
    """What failed, in one line: the first failure, and how many runs it broke."""
    views = failure_views(case)
    if not views:
        return ""
    first = views[0]
    failed_runs = sum(not run.passed for run in case.runs)
    runs = f" ({failed_runs} of {len(case.runs)} runs)" if len(case.runs) > 1 else ""
    more = len({view.failure.expectation for view in views}) - 1
    also = f" [+{more} more]" if more > 0 else ""
    return f"{first.text}{runs}{also}"


def context(run: RunResult, failure: Failure) -> list[tuple[bool, Line]]:
    lines = run.record.lines
    if failure.line is None or not lines:
        return []
    start = max(0, failure.line - CONTEXT_BEFORE)
    end = min(len(lines), failure.line + CONTEXT_AFTER + 1)
    return [(index == failure.line, lines[index]) for index in range(start, end)]


def all_passed(cases: list[CaseResult]) -> bool:
    return all(case.passed_case for case in cases)


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def results_document(cases: list[CaseResult], *, offline: bool) -> dict[str, Any]:
    """The ``voicecli test --json`` document (docs/testing-personas.md)."""
    return {
        "passed": all_passed(cases),
        "offline": offline,
        "cases": [_case_document(case) for case in cases],
    }


def _case_document(case: CaseResult) -> dict[str, Any]:
    p95 = case.p95_ms
    return {
        "file": display_path(case.case.file),
        "line": case.case.line,
        "name": case.case.name,
        "passed": case.passed_case,
        "runs": len(case.runs),
        "passed_runs": case.passed_runs,
        "needed": case.needed,
        "p95_latency_ms": None if p95 is None else round(p95, 1),
        "results": [_run_document(run) for run in case.runs],
    }


def _run_document(run: RunResult) -> dict[str, Any]:
    return {
        "run": run.number,
        "passed": run.passed,
        "exit_code": run.record.exit_code,
        "duration_s": run.record.duration_s,
        "attempts": run.attempts,
        "latencies_ms": run.record.latencies_ms,
        "record": None if run.record_path is None else display_path(run.record_path),
        "failures": [
            {
                "expectation": failure.expectation,
                "message": failure.message,
                "context": [{"role": line.role, "text": line.text, "at": at} for at, line in context(run, failure)],
            }
            for failure in run.failures
        ],
    }
