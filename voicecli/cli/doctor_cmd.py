"""``voicecli doctor``: what is wrong with this setup for ``talk``, and how to fix it."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from voicecli.cli.main import app
from voicecli.cli.talk_cmd import BackendChoice
from voicecli.errors import UsageError


@app.command("doctor")
def doctor(  # noqa: PLR0917 - Typer maps each option to a parameter
    offline: Annotated[bool, typer.Option("--offline", help="Check talk --offline: handshake with the built-in "
                                          "emulator instead of the service.")] = False,
    backend: Annotated[
        BackendChoice | None, typer.Option("--backend", help="Default: from the environment, as talk reads it.")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Live model (default: the persona's, then the "
                                              "backend's).")] = None,
    persona: Annotated[str, typer.Option("--persona", "-p", help="Persona whose setup the handshake sends.")] = "laura",
    input_device: Annotated[str | None, typer.Option("--input-device", help="Mic by index or name.")] = None,
    output_device: Annotated[str | None, typer.Option("--output-device", help="Speaker by index or name.")] = None,
    no_audio: Annotated[bool, typer.Option("--no-audio", help="Skip the sound checks (scripted talk with --input/"
                                           "--say and --output needs no sound card).")] = False,
    tone: Annotated[bool, typer.Option("--tone", help="Play a one-second test tone on the speaker.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the handshake.")] = 15.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Check everything talk needs, one line each with a fix for each problem.

    Python and packages, PortAudio, the sound server, devices with a one-second mic level, espeak-ng
    and the offline extras, the data directory, credentials (variable names only), the model, and a
    real connect + setup handshake. Exit 0 only when everything talk needs works.
    """
    from voicecli.doctor import DoctorOptions, exit_code, run_doctor
    from voicecli.ui.doctor_view import DoctorView, render_json

    if timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds")
    options = DoctorOptions(
        offline=offline,
        backend=None if backend is None else ("vertex" if backend is BackendChoice.vertex else "developer"),
        model=model,
        persona=persona,
        input_device=input_device,
        output_device=output_device,
        audio=not no_audio,
        tone=tone,
        timeout_s=timeout,
    )
    view = None if as_json else DoctorView()
    checks = asyncio.run(run_doctor(options, on_check=None if view is None else view.show))
    if view is None:
        render_json(checks)
    else:
        view.finish(checks)
    raise typer.Exit(exit_code(checks))
