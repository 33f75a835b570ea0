"""Run tool calls for a conversation: per-tool timeouts, one envelope for every outcome.

A call id runs at most once: ``run`` goes through a ``CallLedger`` (voicecli.conversation.ledger,
the one place call ids are deduped), which a conversation shares between the runtimes of its agents.

Response envelope (what goes back to the model as ``FunctionResponse.response``):

    success            {"output": <handler result>}
    failure            {"error": {"type": <kind>, "message": <text>, ...}}

Failure kinds: ``unknown_tool``, ``bad_arguments``, ``timeout``, ``exception``, ``command_failed``,
``bad_output``, and ``tool_error`` when a handler itself returns ``{"error": {...}}`` (its own fields,
such as ``code``, are kept).

A call that times out or is cancelled is abandoned at once: a Python handler runs where nothing
waits for it (see ``voicecli.tools.handlers``), a command is killed.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, replace
from typing import Any

from voicecli.conversation.ledger import CallLedger
from voicecli.persona.model import Persona, ToolSpec
from voicecli.tools.handlers import Handler, HandlerError, resolve_handler


@dataclass(frozen=True)
class ToolOutcome:
    call_id: str
    name: str
    ok: bool
    response: dict[str, Any]
    seconds: float
    duplicate: bool = False


def _failure(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message}}


class _Failed(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.response = _failure(kind, message)


class ToolRuntime:
    """Executes a persona's tools. Handlers are resolved (and Python ones imported) at construction."""

    def __init__(self, persona: Persona, calls: CallLedger[ToolOutcome] | None = None) -> None:
        self.persona = persona
        self._handlers: dict[str, Handler] = {
            tool.name: resolve_handler(persona, tool) for tool in persona.tools
        }
        self.calls: CallLedger[ToolOutcome] = CallLedger() if calls is None else calls

    def outcome_for(self, call_id: str) -> ToolOutcome | None:
        return self.calls.outcome(call_id)

    async def run(self, call_id: str, name: str, args: Any) -> ToolOutcome:
        """Run one call; never raises except CancelledError. A repeated call id never runs twice."""
        outcome, duplicate = await self.calls.run(call_id, lambda: self.execute(call_id, name, args),
                                                  name=f"tool {name} {call_id}")
        return replace(outcome, duplicate=True) if duplicate else outcome

    async def execute(self, call_id: str, name: str, args: Any) -> ToolOutcome:
        """Run one call as asked, whether or not its id ran before (``run`` dedupes)."""
        started = time.perf_counter()
        try:
            tool = self.persona.tool(name)
            if tool is None:
                raise _Failed("unknown_tool", f"there is no tool named {name!r}")
            response = await self._call(tool, _arguments(tool, args))
            ok = "error" not in response
        except _Failed as failure:
            response, ok = failure.response, False
        return ToolOutcome(call_id, name, ok, response, time.perf_counter() - started)

    async def _call(self, tool: ToolSpec, args: dict[str, Any]) -> dict[str, Any]:
        try:
            result = await asyncio.wait_for(self._handlers[tool.name](args), tool.timeout_s)
        except TimeoutError:
            raise _Failed("timeout", f"{tool.name} did not finish within {tool.timeout_s:g} s") from None
        except HandlerError as error:
            raise _Failed(error.kind, error.message) from None
        except (Exception, SystemExit) as error:
            raise _Failed("exception", f"{type(error).__name__}: {error}") from None
        try:
            result = json.loads(json.dumps(result))  # a plain JSON copy the handler cannot mutate later
        except (TypeError, ValueError) as error:
            raise _Failed("bad_output", f"{tool.name} returned a value that is not JSON: {error}") from None
        if isinstance(result, dict) and set(result) == {"error"}:
            detail = result["error"]
            fields = detail if isinstance(detail, dict) else {"message": str(detail)}
            return {"error": {"type": "tool_error", **fields}}
        return {"output": result}


def _arguments(tool: ToolSpec, args: Any) -> dict[str, Any]:
    """Arguments as a dict: JSON text is parsed; required names must be present."""
    if args is None:
        args = {}
    if isinstance(args, str | bytes):
        try:
            args = json.loads(args)
        except ValueError as error:
            raise _Failed("bad_arguments", f"arguments are not valid JSON: {error}") from None
    if not isinstance(args, dict):
        raise _Failed("bad_arguments", f"arguments must be a JSON object, got {type(args).__name__}")
    required = tool.parameters.get("required")
    missing = [key for key in required if key not in args] if isinstance(required, list) else []
    if missing:
        raise _Failed("bad_arguments", f"missing required argument(s): {', '.join(map(str, missing))}")
    return args
