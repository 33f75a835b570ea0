"""Sam's one tool, as the pipecat and LiveKit apps implement it."""

from __future__ import annotations

from typing import Any


def set_thermostat(args: dict[str, Any]) -> dict[str, Any]:
    return {"temperature": args.get("temperature"), "status": "set"}
