"""What the minimal peer apps share: the assistant they configure, and how they report.

Standard library only: each app runs in its framework's own virtual environment. An app writes one
JSON object per line (``{"t": <unix time>, "event": ..., ...}``) for what its framework tells it
(transcripts, agent audio, tool calls, interruptions) to the file named by ``PEER_EVENTS`` (else
stdout: a framework's console may own the terminal), and takes commands one per line from the file
or FIFO named by ``PEER_COMMANDS`` (else stdin): ``text <words>`` sends a typed user turn, ``quit``
ends the app. Everything else it does through the framework: audio from the default microphone, to
the default speaker.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

INSTRUCTION = (
    "You are Sam, a friendly home assistant. Answer in one or two sentences. When the user asks to "
    "set the thermostat, call set_thermostat with the temperature they asked for, then tell them the "
    "temperature it was set to."
)
GREETING = "Greet the user in one sentence and ask how you can help."  # the app's opening request
TOOL_NAME = "set_thermostat"
TOOL_DESCRIPTION = "Set the thermostat to a temperature in degrees."
TOOL_PROPERTIES: dict[str, Any] = {
    "temperature": {"type": "number", "description": "The temperature to set, in degrees."},
}
TOOL_REQUIRED = ["temperature"]


def thermostat_result(args: dict[str, Any]) -> dict[str, Any]:
    """What the app's set_thermostat returns, and reports as a ``tool_call`` event."""
    emit("tool_call", name=TOOL_NAME, args=args)
    return {"temperature": args.get("temperature"), "status": "set"}


_lock = threading.Lock()
_events: IO[str] = open(os.environ["PEER_EVENTS"], "a", encoding="utf-8") if os.environ.get("PEER_EVENTS") \
    else sys.stdout  # noqa: SIM115 (open for the life of the app)


def emit(event: str, **fields: Any) -> None:
    line = json.dumps({"t": round(time.time(), 6), "event": event, **fields}, default=str)
    with _lock:
        _events.write(line + "\n")
        _events.flush()


def read_commands(on_text: Callable[[str], None], on_quit: Callable[[], None]) -> threading.Thread:
    """Read stdin in a daemon thread; the callbacks run in that thread (hand over to the loop)."""

    def run() -> None:
        path = os.environ.get("PEER_COMMANDS")
        source = open(path, encoding="utf-8") if path else sys.stdin  # noqa: SIM115
        for raw in source:
            command, _, rest = raw.strip().partition(" ")
            if command == "text" and rest:
                on_text(rest)
            elif command == "quit":
                break
        on_quit()

    thread = threading.Thread(target=run, daemon=True, name="commands")
    thread.start()
    return thread
