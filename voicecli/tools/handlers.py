"""Turn a persona's handler bindings into callables: Python functions beside the persona, or commands."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from voicecli.errors import PersonaError
from voicecli.persona.bindings import command_executable
from voicecli.persona.model import Persona, ToolSpec
from voicecli.tools.modules import load_python_function
from voicecli.tools.signatures import ArgumentError, call_arguments, takes_arguments_dict

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class HandlerError(Exception):
    """A handler ran but failed in a way worth reporting to the model (``kind`` becomes error.type)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


async def run_in_daemon_thread(function: Callable[[dict[str, Any]], Any], args: dict[str, Any]) -> Any:
    """Run a synchronous handler in a daemon thread of its own and await its result.

    Cancelling the await (a timeout, Ctrl-C) abandons the call at once: Python cannot stop a
    thread, so it runs on unobserved until it returns, and nothing ever waits for it, neither
    the event loop when it closes nor the interpreter when it exits. (``asyncio.to_thread``
    would not do: its pool's workers are joined at both points, so one handler that never
    returns kept ``talk`` alive for ever.)
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(ok: bool, value: Any) -> None:
        if future.done():  # abandoned: nobody is waiting for this result any more
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def work() -> None:
        try:
            outcome: tuple[bool, Any] = (True, context.run(function, args))
        except BaseException as error:  # handed to the awaiting task, which judges it
            outcome = (False, error)
        with contextlib.suppress(RuntimeError):  # the event loop is closed: abandoned long ago
            loop.call_soon_threadsafe(settle, *outcome)

    name = getattr(function, "__name__", "handler")
    threading.Thread(target=work, name=f"voicecli tool {name}", daemon=True).start()
    return await future


_handler_loop: asyncio.AbstractEventLoop | None = None
_handler_loop_lock = threading.Lock()


def handler_loop() -> asyncio.AbstractEventLoop:
    """The event loop ``async`` handlers run on: one for the process, in a daemon thread."""
    global _handler_loop
    with _handler_loop_lock:
        if _handler_loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="voicecli async tools", daemon=True).start()
            _handler_loop = loop
        return _handler_loop


async def run_on_handler_loop(function: Callable[[dict[str, Any]], Awaitable[Any]], args: dict[str, Any]) -> Any:
    """Run an ``async`` handler on the handlers' own event loop and await its result.

    A handler that blocks (``time.sleep``, a synchronous HTTP call inside ``async def``) then
    stalls only that loop, never the conversation's: audio, the connection and Ctrl-C go on.
    Cancelling the await cancels the handler's task there, and does not wait for it to end.
    """
    running = asyncio.run_coroutine_threadsafe(_call_async(function, args), handler_loop())
    return await asyncio.wrap_future(running)


async def _call_async(function: Callable[[dict[str, Any]], Awaitable[Any]], args: dict[str, Any]) -> Any:
    return await function(args)


def python_handler(folder: Path, binding: str) -> Handler:
    """Import ``module:function`` from the persona folder, run where a hung call can be abandoned.

    Plain functions get a daemon thread per call; ``async`` ones run on the handlers' own event
    loop (see ``run_on_handler_loop``). Either way the conversation's loop never runs handler
    code, and a call that never returns cannot keep the process alive.

    A function of one untyped (or dict-typed) parameter receives the arguments dict; any other
    is called with keyword arguments, checked and converted against its signature first.
    """
    function = load_python_function(folder, binding)
    if not takes_arguments_dict(function):
        function = _keyword_call(function)
    if inspect.iscoroutinefunction(function):

        async def run_async(args: dict[str, Any]) -> Any:
            return await run_on_handler_loop(function, args)

        return run_async

    async def run_sync(args: dict[str, Any]) -> Any:
        return await run_in_daemon_thread(function, args)

    return run_sync


def _keyword_call(function: Callable[..., Any]) -> Callable[[dict[str, Any]], Any]:
    """``function(**kwargs)`` behind the one-dict calling form; arguments that do not fit fail as bad_arguments."""

    def arguments(args: dict[str, Any]) -> dict[str, Any]:
        try:
            return call_arguments(function, args)
        except ArgumentError as error:
            raise HandlerError("bad_arguments", str(error)) from None

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def call_async(args: dict[str, Any]) -> Any:
            return await function(**arguments(args))

        return call_async

    @functools.wraps(function)
    def call(args: dict[str, Any]) -> Any:
        return function(**arguments(args))

    return call


def command_handler(folder: Path, argv: list[str]) -> Handler:
    """Run ``argv`` in the persona folder with the JSON arguments on stdin; parse JSON from stdout."""
    executable = command_executable(folder, argv[0])
    if executable is None:
        raise LookupError(f"command {argv[0]!r} is not an executable file or on PATH")
    full_argv = [executable, *argv[1:]]

    async def run_command(args: dict[str, Any]) -> Any:
        process = await asyncio.create_subprocess_exec(
            *full_argv,
            cwd=folder,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            stdout, stderr = await process.communicate(json.dumps(args).encode())
        except BaseException:  # timeout or cancellation: the process must not outlive the call
            if process.returncode is None:
                process.kill()
                await asyncio.shield(process.wait())
            raise
        if process.returncode != 0:
            detail = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no error output"]
            raise HandlerError("command_failed", f"exit status {process.returncode}: {detail[0]}")
        try:
            return json.loads(stdout)
        except ValueError:
            raise HandlerError("bad_output", "the command did not print a JSON value on stdout") from None

    return run_command


def resolve_handler(persona: Persona, tool: ToolSpec) -> Handler:
    """The callable for one tool; PersonaError when its binding does not resolve.

    An MCP tool's handler calls its server's session, which ``voicecli.tools.mcp.mcp_tools``
    opened; a built-in Live tool (Google Search, ...) runs at the service and has none.
    """
    binding = tool.handler
    if binding is None:
        return _not_ours(tool)
    try:
        if binding.python is not None:
            return python_handler(persona.folder, binding.python)
        if binding.command:
            return command_handler(persona.folder, binding.command)
        if binding.mcp is not None:
            from voicecli.tools.mcp import mcp_handler  # the MCP client loads only for personas that use it

            return mcp_handler(persona, *binding.mcp)
    except PersonaError:
        raise
    except Exception as error:  # an import-time failure in the tool module is a persona problem too
        where = persona.source.where(("tools", persona.tools.index(tool))) if persona.source else persona.path
        raise PersonaError(
            f"tool {tool.name!r} of {persona.path} cannot be loaded",
            [f"{where}: {error}"],
        ) from error
    raise PersonaError(f"tool {tool.name!r} of {persona.path} has no handler")


def _not_ours(tool: ToolSpec) -> Handler:
    async def refuse(args: dict[str, Any]) -> Any:
        raise HandlerError("unknown_tool", f"{tool.name} is a built-in tool the Live service runs itself")

    return refuse
