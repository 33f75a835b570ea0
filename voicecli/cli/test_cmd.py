"""``voicecli test``: run a persona's regression tests (NAME.test.yaml) offline or against the service."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voicecli.cli.main import app
from voicecli.cli.talk_cmd import BackendChoice

if TYPE_CHECKING:
    from voicecli.live.config import Backend
    from voicecli.persona_tests.loader import Suite
    from voicecli.persona_tests.runner import RunResult

EXIT_FAILED = 1  # some case did not meet its pass threshold


@app.command("test")
def test_command(  # noqa: PLR0917 - Typer maps each option to a parameter
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Test files (NAME.test.yaml), folders of them, or personas whose tests to run "
                            "(default: ./personas or the shipped ones).", show_default=False),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Run against the built-in emulator instead of the Live service.")
    ] = False,
    backend: Annotated[
        BackendChoice | None, typer.Option("--backend", help="Default: from the environment, as for talk.")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Live model (default per backend).")] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Runs at once (fewer while the service pushes back).")
    ] = 1,
    keywords: Annotated[
        list[str] | None, typer.Option("-k", help="Only cases whose name contains this text (repeatable).")
    ] = None,
    repeat: Annotated[
        int | None, typer.Option("--repeat", min=1, help="Run every case N times (overrides the files).")
    ] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Keep each run's audio, events and session log in --record-dir.")
    ] = False,
    record_dir: Annotated[Path, typer.Option("--record-dir", help="Where --record keeps runs.")] = Path("test-runs"),
    json_output: Annotated[bool, typer.Option("--json", help="Print the results as one JSON document.")] = False,
    junit: Annotated[Path | None, typer.Option("--junit", help="Also write JUnit XML for CI to FILE.")] = None,
) -> None:
    """Run persona tests; exit 0 only when every case meets its pass threshold (docs/testing-personas.md)."""
    from voicecli.persona_tests.junit import write_junit
    from voicecli.persona_tests.report import all_passed, results_document
    from voicecli.persona_tests.runner import RunOptions, run_suites, select_cases
    from voicecli.ui.test_view import make_console, render_results

    backend_flag: Backend | None = None
    if backend is not None:
        backend_flag = "vertex" if backend is BackendChoice.vertex else "developer"
    suites = select_cases(_load(targets or [_default_target()]), keywords or [])
    if not offline:
        from voicecli.live.backends import credentials_from_env

        credentials_from_env(os.environ, backend_flag)  # no credentials: say so once, before any run (exit 4)
    options = RunOptions(offline=offline, backend=backend_flag, model=model, jobs=jobs,
                         record_dir=record_dir.resolve() if record else None, repeat=repeat)
    progress = _Progress(sum((repeat or case.repeat) for suite in suites for case in suite.cases),
                         enabled=not json_output and sys.stderr.isatty())
    with progress:
        results = run_suites(suites, options, on_result=progress.done)
    if json_output:
        typer.echo(json.dumps(results_document(results, offline=offline), indent=2, ensure_ascii=False))
    else:
        render_results(results, make_console())
    if junit is not None:
        write_junit(results, junit)
    raise typer.Exit(0 if all_passed(results) else EXIT_FAILED)


def _default_target() -> str:
    local = Path.cwd() / "personas"
    if local.is_dir():
        return str(local)
    from voicecli.paths import personas_dir

    return str(personas_dir())


def _load(targets: list[str]) -> list[Suite]:
    """Every test file named, loaded; the problems of all of them reported at once (exit 2)."""
    from voicecli.persona_tests.loader import InvalidTests, find_test_files, load_suite

    suites: list[Suite] = []
    problems: list[str] = []
    for path in find_test_files(targets):
        try:
            suites.append(load_suite(path))
        except InvalidTests as error:
            problems.append(error.message)
    if problems:
        raise InvalidTests("\n".join(problems), hint="see docs/testing-personas.md for the format")
    return suites


class _Progress:
    """A status line on a terminal while runs are under way; nothing when piped."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.finished = 0
        self.failed = 0
        self._status = None
        if enabled:
            from voicecli.ui.test_view import make_console

            self._status = make_console(stderr=True).status(self._text())

    def _text(self) -> str:
        failed = f", {self.failed} failed" if self.failed else ""
        return f"running persona tests: {self.finished} of {self.total} runs done{failed}"

    def done(self, result: RunResult) -> None:
        self.finished += 1
        self.failed += not result.passed
        if self._status is not None:
            self._status.update(self._text())

    def __enter__(self) -> _Progress:
        if self._status is not None:
            self._status.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._status is not None:
            self._status.stop()
