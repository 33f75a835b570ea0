"""Rendering of ``lint-persona`` findings and ``persona show`` output."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from voicecli.errors import PersonaError
from voicecli.persona.lint import Finding


@dataclass
class FileReport:
    """The lint result for one file: its findings, or the error that stopped it from loading."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    load_error: PersonaError | None = None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_lint_text(reports: Sequence[FileReport], out: TextIO = sys.stdout) -> None:
    """One ``file:line: CODE severity message`` line per finding, then a summary line."""
    errors = warnings = 0
    for report in reports:
        if report.load_error is not None:
            errors += 1
            out.write(f"{report.file}: error: {report.load_error.message}\n")
            out.writelines(f"  {problem}\n" for problem in report.load_error.problems)
            continue
        for finding in report.findings:
            errors += finding.severity == "error"
            warnings += finding.severity == "warning"
            out.write(f"{finding.file}:{finding.line}: {finding.code} {finding.severity} {finding.message}\n")
    files = _plural(len(reports), "file")
    if errors or warnings:
        out.write(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in {files}\n")
    else:
        out.write(f"clean: {files} checked\n")


def lint_json(reports: Sequence[FileReport], exit_code: int) -> dict[str, Any]:
    files = []
    for report in reports:
        error = report.load_error
        files.append(
            {
                "file": report.file,
                "loaded": error is None,
                "error": None if error is None else {"message": error.message, "problems": error.problems},
                "findings": [finding.as_dict() for finding in report.findings],
            }
        )
    findings = [finding for report in reports for finding in report.findings]
    return {
        "files": files,
        "summary": {
            "errors": sum(finding.severity == "error" for finding in findings),
            "warnings": sum(finding.severity == "warning" for finding in findings),
            "unloadable": sum(report.load_error is not None for report in reports),
        },
        "exit_code": exit_code,
    }


def render_lint_json(reports: Sequence[FileReport], exit_code: int, out: TextIO = sys.stdout) -> None:
    out.write(json.dumps(lint_json(reports, exit_code), indent=2) + "\n")


def render_persona_show(shown: dict[str, Any], *, as_json: bool, out: TextIO = sys.stdout) -> None:
    """The compiled instruction and the declarations, verbatim, under plain headings."""
    if as_json:
        out.write(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
        return
    from rich.console import Console
    from rich.rule import Rule

    console = Console(file=out, highlight=False, soft_wrap=True)
    console.print(Rule(f"{shown['name']}  ({shown['path']})", style="bold"))
    console.print(Rule("system instruction", style="dim"))
    console.print(shown["system_instruction"], markup=False, end="")
    console.print(Rule(f"function declarations ({len(shown['function_declarations'])})", style="dim"))
    console.print(json.dumps(shown["function_declarations"], indent=2, ensure_ascii=False), markup=False)
    console.print(Rule("opening prompt", style="dim"))
    console.print(shown["greeting_prompt"], markup=False)
    console.print(Rule("session", style="dim"))
    console.print(json.dumps(shown["session"], indent=2), markup=False)
