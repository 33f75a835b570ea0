"""`voicecli devices`: the audio inputs and outputs PortAudio sees."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from voicecli.cli.main import app

if TYPE_CHECKING:
    from voicecli.audio.devices import DeviceInfo


@app.command("devices")
def devices(
    as_json: Annotated[bool, typer.Option("--json", help="Print the devices as JSON.")] = False,
) -> None:
    """List audio inputs and outputs with default markers, channels and native rates.

    Use the index or part of the name with --input-device / --output-device.
    """
    from voicecli.audio.devices import list_devices  # imports PortAudio only when asked

    found = list_devices()
    if as_json:
        typer.echo(json.dumps([device.to_dict() for device in found], indent=2))
        return
    typer.echo(format_devices(found))


def format_devices(found: list[DeviceInfo]) -> str:
    lines = []
    for title, kind in (("Inputs", "input"), ("Outputs", "output")):
        lines.append(f"{title} (* = default):")
        rows = [d for d in found if (d.input_channels if kind == "input" else d.output_channels) > 0]
        if not rows:
            lines.append("  (none)")
        width = max((len(d.name) for d in rows), default=0)
        for d in rows:
            default = d.default_input if kind == "input" else d.default_output
            channels = d.input_channels if kind == "input" else d.output_channels
            lines.append(f"{'*' if default else ' '} {d.index:>3}  {d.name:<{width}}  {channels:>3} ch  "
                         f"{d.default_rate:>6} Hz  {d.host_api}")
    return "\n".join(lines)
