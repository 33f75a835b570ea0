"""Rendering of ``lint-persona`` findings and of ``persona show`` and ``persona list`` output."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from voicecli.errors import PersonaError
from voicecli.persona.lint import Finding


@dataclass
class FileReport:
    """The lint result for one file: its findings, the error that stopped it from loading, or why it was skipped."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    load_error: PersonaError | None = None
    skipped: str | None = None


@dataclass(frozen=True)
class LintSummary:
    """The counts both output formats report, computed in one place so they always agree."""

    files: int  # files linted or found unloadable; skipped ones are not counted
    errors: int
    warnings: int
    unloadable: int
    skipped: int
    test_files: int = 0  # of the skipped: persona tests (the rest are scenarios)

    @classmethod
    def of(cls, reports: Sequence[FileReport]) -> LintSummary:
        findings = [finding for report in reports for finding in report.findings]
        return cls(
            files=sum(report.skipped is None for report in reports),
            errors=sum(finding.severity == "error" for finding in findings),
            warnings=sum(finding.severity == "warning" for finding in findings),
            unloadable=sum(report.load_error is not None for report in reports),
            skipped=sum(report.skipped is not None for report in reports),
            test_files=sum(report.skipped is not None and report.skipped.startswith("persona tests")
                           for report in reports),
        )

    def line(self) -> str:
        checked = f"{_plural(self.files, 'file')} checked"
        if self.skipped:
            kinds = [_plural(count, word) for count, word in
                     ((self.skipped - self.test_files, "scenario"), (self.test_files, "test file")) if count]
            checked += f", {' and '.join(kinds)} skipped"
        if not (self.errors or self.warnings or self.unloadable):
            return f"clean: {checked}"
        counts = [_plural(self.errors, "error"), _plural(self.warnings, "warning")]
        if self.unloadable:
            counts.append(f"{self.unloadable} unreadable")
        return f"{', '.join(counts)} in {checked}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_lint_text(reports: Sequence[FileReport], out: TextIO = sys.stdout) -> None:
    """One ``file:line: CODE severity message`` line per finding, then the summary line."""
    for report in reports:
        if report.skipped is not None:
            out.write(f"{report.file}: skipped: {report.skipped}\n")
        elif report.load_error is not None:
            out.write(f"{report.file}: error: {report.load_error.message}\n")
            out.writelines(f"  {problem}\n" for problem in report.load_error.problems)
        for finding in report.findings:
            out.write(f"{finding.file}:{finding.line}: {finding.code} {finding.severity} {finding.message}\n")
    out.write(LintSummary.of(reports).line() + "\n")


def lint_json(reports: Sequence[FileReport], exit_code: int) -> dict[str, Any]:
    files = []
    for report in reports:
        error = report.load_error
        files.append(
            {
                "file": report.file,
                "loaded": error is None and report.skipped is None,
                "skipped": report.skipped,
                "error": None if error is None else {"message": error.message, "problems": error.problems},
                "findings": [finding.as_dict() for finding in report.findings],
            }
        )
    return {"files": files, "summary": asdict(LintSummary.of(reports)), "exit_code": exit_code}


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
    for key, title in (("builtin_tools", "built-in tools"), ("handoffs", "handoffs"),
                       ("mcp_servers", "MCP servers (their tools are listed when talk starts)")):
        if shown.get(key):
            console.print(Rule(f"{title} ({len(shown[key])})", style="dim"))
            console.print(json.dumps(shown[key], indent=2, ensure_ascii=False), markup=False)
    if shown.get("derived"):
        console.print(Rule("derived from the handlers' signatures", style="dim"))
        for tool, fields in shown["derived"].items():
            console.print(f"{tool}: {', '.join(fields)}", markup=False)


def render_persona_list(entries: Sequence[dict[str, Any]], *, as_json: bool, out: TextIO = sys.stdout) -> None:
    """One row per persona: the NAME to pass, its language, how many tools it has, and its file.

    Plain aligned columns, never cut or wrapped, so a path can be copied from any terminal width.
    """
    if as_json:
        out.write(json.dumps(list(entries), indent=2, ensure_ascii=False) + "\n")
        return
    if not entries:
        out.write("no personas found; create one with: voicecli persona init NAME\n")
        return
    rows = [("name", "language", "tools", "path")]
    for entry in entries:
        tools = "?" if entry["error"] else str(len(entry["tools"]))
        path = entry["path"]
        if entry["error"]:
            path += f"  (cannot load: {entry['error']})"
        elif entry["shadowed"]:  # listed, but NAME reaches the earlier file with that name
            path += "  (shadowed)"
        rows.append((entry["name"], entry["language"] or "-", tools, path))
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + f"  {row[3]}\n")
