"""``voicecli persona show|list|init`` and ``voicecli lint-persona``.

Kept light for start-up time: the persona package is imported inside the commands, and nothing here
imports google.genai, sounddevice or numpy.
"""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from voicecli.cli.main import app
from voicecli.errors import PersonaError

if TYPE_CHECKING:
    from voicecli.persona import Persona
    from voicecli.persona.lint import Finding
    from voicecli.ui.lint_view import FileReport

persona_app = typer.Typer(name="persona", help="Inspect, list and create personas.", no_args_is_help=True)
app.add_typer(persona_app, name="persona")


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def shown_persona(persona: Persona) -> dict[str, Any]:
    """Everything ``persona show`` prints, as data."""
    from voicecli.persona.instructions import compile_instructions, function_declarations, greeting_prompt

    return {
        "name": persona.name,
        "path": str(persona.path),
        "language": persona.persona.language,
        "voice": persona.persona.voice,
        "system_instruction": compile_instructions(persona),
        "function_declarations": function_declarations(persona),
        "greeting_prompt": greeting_prompt(persona),
        "session": asdict(persona.session),
        "builtin_tools": persona.builtin_tools,
        "handoffs": [
            {**asdict(handoff), "tool_name": handoff.tool_name} for handoff in persona.handoffs
        ],
        "mcp_servers": [asdict(server) for server in persona.mcp_servers],
        # Which declarations come from a Python handler's signature rather than the file.
        "derived": {tool.name: list(tool.derived) for tool in persona.tools if tool.derived},
    }


@persona_app.command("show")
def show(
    persona: Annotated[str, typer.Argument(help="Persona name or path to a .yaml file.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Print the compiled system instruction and tool declarations exactly as they will be sent."""
    from voicecli.persona import load_persona
    from voicecli.ui.lint_view import render_persona_show

    render_persona_show(shown_persona(load_persona(persona)), as_json=as_json)


@persona_app.command("list")
def list_personas(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List personas: those in the current folder, then those a NAME reaches (./personas, then the shipped ones)."""
    from voicecli.persona import load_persona
    from voicecli.persona.loader import find_personas
    from voicecli.ui.lint_view import render_persona_list

    entries: list[dict[str, Any]] = []
    for found in find_personas():
        entry: dict[str, Any] = {
            "name": found.name,
            "path": str(found.path),
            "shadowed": found.shadowed,
            "language": None,
            "tools": [],
            "error": None,
        }
        try:
            persona = load_persona(found.path)
        except PersonaError as error:  # listed anyway, so a broken file is noticed
            entry["error"] = error.message
        else:
            entry["language"] = persona.persona.language
            entry["tools"] = [tool.name for tool in persona.tools]
        entries.append(entry)
    render_persona_list(entries, as_json=as_json)


@persona_app.command("init")
def init(
    name: Annotated[str, typer.Argument(help="The new persona's NAME (lowercase, e.g. front-desk).",
                                        show_default=False)],
) -> None:
    """Write a commented starter persona, NAME.yaml, and its one tool into the current folder."""
    from voicecli.errors import UsageError, VoicecliError
    from voicecli.persona.starter import starter_files

    files = starter_files(name)
    folder = Path.cwd()
    existing = [file for file in files if (folder / file).exists()]
    if existing:
        raise UsageError(f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''} here",
                         hint="pick another NAME, or move the existing files away")
    for file, text in files.items():
        try:
            (folder / file).write_text(text, encoding="utf-8")
        except OSError as error:
            raise VoicecliError(f"cannot write {folder / file}: {error.strerror}") from None
    print(f"wrote {' and '.join(files)}; next:")
    print(f"  voicecli lint-persona {name}.yaml")
    print(f"  voicecli persona show {name}.yaml")
    print(f"  voicecli talk --offline --persona {name}.yaml --say 'What time is it in Tokyo?'")


def _lint_targets(target: str | None) -> list[Path]:
    """The files one target names: a folder's YAML files, a file, a NAME; nothing given: ./personas or the shipped."""
    from voicecli.persona import resolve_persona_path
    from voicecli.persona.loader import yaml_files

    if target is None:
        local = Path.cwd() / "personas"
        from voicecli.paths import personas_dir

        target = str(local if local.is_dir() else personas_dir())
    path = Path(target).expanduser()
    if path.is_dir():
        return yaml_files(path)
    return [resolve_persona_path(target)]


def _lint_one(path: Path, *, mcp: bool = False) -> FileReport:
    from voicecli.persona import load_persona
    from voicecli.persona.lint import lint_persona
    from voicecli.persona.loader import is_scenario_file, is_test_file
    from voicecli.ui.lint_view import FileReport

    if is_scenario_file(path):
        return FileReport(str(path), skipped="an emulator scenario (docs/scenarios.md), not a persona")
    if is_test_file(path):
        return FileReport(str(path), skipped="persona tests (docs/testing-personas.md), not a persona")
    try:
        persona = load_persona(path)
    except PersonaError as error:
        return FileReport(str(path), load_error=error)
    findings = lint_persona(persona)
    if mcp and persona.mcp_servers:
        findings = sorted([*findings, *_listed_mcp_findings(persona)], key=lambda f: (f.line, f.code))
    return FileReport(str(path), findings=findings)


def _listed_mcp_findings(persona: Persona) -> list[Finding]:
    """Start (or reach) the persona's MCP servers, list their tools, and say what the Live API cannot take."""
    import asyncio

    from voicecli.errors import VoicecliError
    from voicecli.persona.lint import mcp_findings
    from voicecli.tools.mcp import mcp_tools

    notices: list[str] = []

    async def listing() -> None:
        async with mcp_tools(persona, notices):
            pass

    try:
        asyncio.run(listing())
    except VoicecliError as error:  # a server that does not start or answer, a chosen tool it lacks
        problems = error.problems if isinstance(error, PersonaError) else []
        detail = f" ({'; '.join(problems)})" if problems else ""
        return mcp_findings(persona, notices, failure=f"{error.message}{detail}")
    return mcp_findings(persona, notices)


@app.command("lint-persona")
def lint_persona_command(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Persona names, files or folders (default: ./personas or the shipped ones).",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Count warnings as errors.")] = False,
    mcp: Annotated[
        bool,
        typer.Option("--mcp", help="Also start the personas' MCP servers and check the tools they list."),
    ] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.text,
) -> None:
    """Check personas against the rule catalogue (docs/lint-rules.md).

    Exit status: 0 clean, 1 error findings (warnings too with --strict), 2 a file cannot be read or parsed.
    """
    from voicecli.ui.lint_view import FileReport, render_lint_json, render_lint_text

    reports: list[FileReport] = []
    wanted: list[str | None] = list(targets) if targets else [None]
    for target in wanted:
        try:
            paths = _lint_targets(target)
        except PersonaError as error:  # an unknown name: report it like an unreadable file
            reports.append(FileReport(str(target), load_error=error))
            continue
        reports.extend(_lint_one(path, mcp=mcp) for path in paths)
    if any(report.load_error for report in reports):
        code = 2
    elif any(f.severity == "error" or strict for report in reports for f in report.findings):
        code = 1
    else:
        code = 0
    if output_format is OutputFormat.json:
        render_lint_json(reports, code)
    else:
        render_lint_text(reports)
    # SystemExit, not typer.Exit: run() calls the app with standalone_mode=False, where click
    # returns an Exit's code instead of exiting with it.
    raise SystemExit(code)
