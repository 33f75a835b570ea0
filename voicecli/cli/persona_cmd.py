"""``voicecli persona show`` and ``voicecli lint-persona``.

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
    from voicecli.ui.lint_view import FileReport

persona_app = typer.Typer(name="persona", help="Inspect personas.", no_args_is_help=True)
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


def _lint_targets(targets: list[str]) -> list[Path]:
    from voicecli.persona import resolve_persona_path

    if not targets:
        local = Path.cwd() / "personas"
        from voicecli.paths import personas_dir

        targets = [str(local if local.is_dir() else personas_dir())]
    paths: list[Path] = []
    for target in targets:
        path = Path(target).expanduser()
        if path.is_dir():
            from voicecli.persona.lint import persona_files

            paths.extend(persona_files(path))
        else:
            paths.append(resolve_persona_path(target))
    return paths


def _lint_one(path: Path) -> FileReport:
    from voicecli.persona import load_persona
    from voicecli.persona.lint import lint_persona
    from voicecli.ui.lint_view import FileReport

    try:
        return FileReport(str(path), findings=lint_persona(load_persona(path)))
    except PersonaError as error:
        return FileReport(str(path), load_error=error)


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
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.text,
) -> None:
    """Check personas against the rule catalogue (docs/lint-rules.md).

    Exit status: 0 clean, 1 error findings (warnings too with --strict), 2 a file cannot be read or parsed.
    """
    from voicecli.ui.lint_view import FileReport, render_lint_json, render_lint_text

    reports: list[FileReport] = []
    for group in [[target] for target in targets] if targets else [[]]:
        try:
            paths = _lint_targets(group)
        except PersonaError as error:  # an unknown name: report it like an unreadable file
            reports.append(FileReport(group[0], load_error=error))
            continue
        reports.extend(_lint_one(path) for path in paths)
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
