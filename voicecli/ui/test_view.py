"""Rendering of ``voicecli test`` results: a compact table, then each failure with the lines around it."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from voicecli.persona_tests.report import display_path, failure_views, headline
from voicecli.persona_tests.runner import CaseResult, RunResult

_ROLE_STYLE = {"user": "cyan", "agent": "green", "tool": "magenta", "note": "yellow"}


def make_console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False)
    console.soft_wrap = not console.is_terminal  # piped: long lines stay whole
    return console


def render_results(cases: list[CaseResult], console: Console | None = None) -> None:
    console = console or make_console()
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold", expand=True)
    table.add_column("case", no_wrap=True, overflow="ellipsis", max_width=40)
    table.add_column("runs", justify="right", no_wrap=True)
    table.add_column("passed", justify="right", no_wrap=True)
    table.add_column("p95", justify="right", no_wrap=True)
    table.add_column("result", overflow="ellipsis", no_wrap=True, ratio=1)  # the details follow the table
    for case in cases:
        p95 = case.p95_ms
        result = Text("ok", style="green") if case.passed_case else Text(f"FAIL {headline(case)}", style="red")
        table.add_row(
            case.case.name,
            str(len(case.runs)),
            f"{case.passed_runs}/{case.needed}",
            "-" if p95 is None else f"{p95:.0f} ms",
            result,
        )
    console.print(table)
    for case in cases:
        if not case.passed_case:
            _render_failures(case, console)
    failed = sum(not case.passed_case for case in cases)
    runs = sum(len(case.runs) for case in cases)
    verdict = f"{failed} of {len(cases)} cases failed" if failed else f"all {len(cases)} cases passed"
    console.print(f"\n{verdict} ({runs} run{'s' if runs != 1 else ''})", style="red" if failed else "green")


def _render_failures(case: CaseResult, console: Console) -> None:
    where = f"{display_path(case.case.file)}:{case.case.line}"
    console.print(f"\n[bold red]FAIL[/] {escape(case.case.name)}  [dim]{escape(where)}[/]  "
                  f"{case.passed_runs} of {len(case.runs)} runs passed, {case.needed} needed")
    shown: set[tuple[int, int | None]] = set()
    for view in failure_views(case):
        console.print(f"  run {view.run}: [bold]{escape(view.failure.expectation)}[/]: {escape(view.failure.message)}")
        if (view.run, view.failure.line) in shown:
            continue  # the same lines as a failure above
        shown.add((view.run, view.failure.line))
        for at, line in view.context:
            marker = ">" if at else " "
            style = _ROLE_STYLE.get(line.role, "")
            console.print(Text.assemble(f"    {marker} ", (f"{line.role:<5} ", style), line.text))
    for run in case.runs:
        _render_record_note(run, console)


def _render_record_note(run: RunResult, console: Console) -> None:
    if run.record_path is not None and not run.passed:
        console.print(f"  run {run.number} recorded in {escape(display_path(run.record_path))}", style="dim")
    if not run.passed and run.stderr and run.record.exit_code is None:
        console.print(f"  run {run.number} worker output: {escape(run.stderr[-1])}", style="dim")
