"""``voicecli doctor`` output: one line per check as it completes, a fix under each problem, a verdict."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape

from voicecli.doctor.check import Check, exit_code

_MARKS = {"ok": "[green]  ok[/]", "warn": "[yellow]warn[/]", "fail": "[bold red]FAIL[/]"}
NAME_WIDTH = 19


class DoctorView:
    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(highlight=False, soft_wrap=True)

    def show(self, check: Check) -> None:
        self._console.print(f"{_MARKS[check.status]}  {escape(check.name):<{NAME_WIDTH}} {escape(check.detail)}")
        if check.fix:
            self._console.print(f"{'':<{NAME_WIDTH + 7}}[dim]fix:[/] {escape(check.fix)}")

    def finish(self, checks: Sequence[Check]) -> None:
        self._console.print(verdict(checks))


def verdict(checks: Sequence[Check]) -> str:
    fails = sum(check.status == "fail" for check in checks)
    warns = sum(check.status == "warn" for check in checks)
    if fails:
        return (f"{_count(fails, 'problem')} to fix before talk will work"
                + (f" ({_count(warns, 'warning')})" if warns else ""))
    if warns:
        return f"talk should work; {_count(warns, 'warning')} above"
    return "everything talk needs works"


def doctor_json(checks: Sequence[Check]) -> dict[str, Any]:
    return {
        "ok": exit_code(checks) == 0,
        "exit_code": exit_code(checks),
        "summary": {status: sum(check.status == status for check in checks) for status in ("ok", "warn", "fail")},
        "checks": [check.as_dict() for check in checks],
    }


def render_json(checks: Sequence[Check], out: TextIO = sys.stdout) -> None:
    out.write(json.dumps(doctor_json(checks), indent=2, ensure_ascii=False) + "\n")


def _count(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
