"""One clear message per error, on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from voicecli.errors import PersonaError, VoicecliError


def render_error(error: VoicecliError) -> None:
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(f"[bold red]error:[/] {escape(error.message)}")
    if isinstance(error, PersonaError):
        for problem in error.problems:
            console.print(f"  {escape(problem)}")
    if error.hint:
        console.print(f"[dim]hint:[/] {escape(error.hint)}")
