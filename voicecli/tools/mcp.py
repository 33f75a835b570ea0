"""Tools from Model Context Protocol servers: connect at start-up, declare the chosen tools, call them.

    async with mcp_tools(persona) as persona:   # every mcp_servers entry connected and listed
        runtime = ToolRuntime(persona)          # its tools are ordinary ToolSpecs now
        ...                                     # leaving closes the sessions (also on Ctrl-C)

Each ``mcp_servers`` entry is a stdio server (``command``, started in the persona's folder) or a
streamable HTTP one (``url``). Its sessions are opened once per conversation. The tools the
persona chose (each with its own ``when``) become ``ToolSpec``\\ s whose handler binding is
``mcp=(server, tool)``, their input schemas converted to what the Live API accepts
(``voicecli.tools.live_schema``); the runtime calls them like any other handler, so timeouts
(the server's ``timeout_s``), once per call id, logs and cancellation work the same.

A server that cannot be started, reached or listed stops the run with one ToolFailure (exit 7); a
chosen tool the server does not offer is a PersonaError (exit 2). The ``mcp`` package is imported
only here, and only for personas with ``mcp_servers``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from voicecli.errors import PersonaError, ToolFailure
from voicecli.persona.bindings import command_executable
from voicecli.persona.model import HandlerBinding, McpServer, Persona, ToolSpec
from voicecli.tools.docstrings import parse_docstring
from voicecli.tools.handlers import Handler, HandlerError
from voicecli.tools.live_schema import schema_problems, to_live_schema

if TYPE_CHECKING:
    from mcp import Client
    from mcp.types import CallToolResult, Tool

__all__ = ["McpConnection", "mcp_handler", "mcp_tools", "schema_problems"]

# The SDK logs a crashed server's broken pipe with a traceback; the run reports it in one line instead.
logging.getLogger("mcp").addHandler(logging.NullHandler())

# Function names the Live API accepts: a letter or underscore, then letters, digits, _ . : -; at most 64.
LIVE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")
_PYTHON_NAMES = {"python", "python3"}
_STDERR_TAIL = 3
# A stdio server imports its SDK before it answers (seconds on a busy machine): start-up gets at
# least this long, whatever the server's per-call timeout_s.
STARTUP_TIMEOUT_S = 30.0
_STDERR_BYTES = 4096


@dataclass
class McpConnection:
    """One open session with a persona's MCP server."""

    server: McpServer
    client: Client
    errlog: TextIO | None = None
    tools: dict[str, Tool] = field(default_factory=dict)
    gone: str | None = None  # why the server can no longer be called

    async def call(self, tool: str, args: dict[str, Any]) -> Any:
        """The tool's result as a JSON value; HandlerError when the call or the server failed."""
        from mcp import MCPError
        from mcp.types import CONNECTION_CLOSED

        if self.gone is not None:
            raise HandlerError("mcp_server_gone", self.gone)
        try:
            result = await self.client.call_tool(tool, args)
        except MCPError as error:
            if error.code == CONNECTION_CLOSED:
                self.gone = f"the MCP server {self.server.name!r} has stopped{stderr_tail(self.errlog)}"
                raise HandlerError("mcp_server_gone", self.gone) from None
            raise HandlerError("mcp_error", error.message) from None
        except Exception as error:  # a transport failure: HTTP refused, a broken pipe
            leaf = root_cause(error)
            raise HandlerError("mcp_error", f"{type(leaf).__name__}: {leaf}") from None
        return tool_result(result)


# Open sessions by (persona file, server name): what the runtime's handlers call through.
_open: dict[tuple[Path, str], McpConnection] = {}


def _key(persona: Persona, server: str) -> tuple[Path, str]:
    return persona.path.resolve(), server


@asynccontextmanager
async def mcp_tools(persona: Persona, notices: list[str] | None = None) -> AsyncIterator[Persona]:
    """``persona`` with the tools of its MCP servers, for as long as the block runs.

    Servers are started (or reached) and listed one after another, each within ``startup_timeout``.
    ``notices`` collects what the Live API cannot express of a chosen tool's schema ("notes.add_note:
    tags: ..."), for the caller to show. Without ``mcp_servers`` the persona comes back unchanged.
    """
    if not persona.mcp_servers:
        yield persona
        return
    try:
        import mcp  # noqa: F401 - present?
    except ImportError:
        raise ToolFailure(
            f"{persona.path.name} takes tools from MCP servers, which need the 'mcp' package",
            hint="pip install 'voicecli[mcp]'",
        ) from None
    async with AsyncExitStack() as stack:
        extra: list[ToolSpec] = []
        for server in persona.mcp_servers:
            connection = await stack.enter_async_context(_session(persona, server))
            extra.extend(_tool_specs(persona, server, connection, [*persona.tools, *extra], notices))
        yield persona.with_tools(extra)


def mcp_handler(persona: Persona, server: str, tool: str) -> Handler:
    """The runtime's handler for ``tool`` of ``server``; PersonaError when its session is not open."""
    connection = _open.get(_key(persona, server))
    if connection is None:
        raise PersonaError(
            f"tool {tool!r} of {persona.path} comes from the MCP server {server!r}, which is not connected",
            hint="MCP tools are called inside voicecli.tools.mcp.mcp_tools(persona)",
        )

    async def call(args: dict[str, Any]) -> Any:
        return await connection.call(tool, args)

    return call


@asynccontextmanager
async def _session(persona: Persona, server: McpServer) -> AsyncIterator[McpConnection]:
    from mcp import Client
    from mcp.types import Implementation

    from voicecli import __version__

    errors: contextlib.AbstractContextManager[TextIO | None] = (
        cast(TextIO, tempfile.TemporaryFile("w+", encoding="utf-8"))  # noqa: SIM115 - entered just below
        if server.command
        else contextlib.nullcontext()
    )
    with errors as errlog:
        client = Client(
            _transport(persona, server, errlog) if server.command else str(server.url),
            client_info=Implementation(name="voicecli", version=__version__),
        )
        connection = McpConnection(server, client, errlog)
        async with AsyncExitStack() as stack:
            try:
                async with asyncio.timeout(startup_timeout(server)):
                    await stack.enter_async_context(_closing(client))
                    connection.tools = await _list_tools(client)
            except ToolFailure:
                raise
            except Exception as error:
                raise _start_failure(persona, server, error, errlog) from None
            key = _key(persona, server.name)
            _open[key] = connection
            try:
                yield connection
            finally:
                if _open.get(key) is connection:
                    del _open[key]
                connection.gone = f"the MCP server {server.name!r} was closed with its conversation"


def startup_timeout(server: McpServer) -> float:
    return max(server.timeout_s, STARTUP_TIMEOUT_S)


def _transport(persona: Persona, server: McpServer, errlog: TextIO | None) -> Any:
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    argv = list(server.command or [])
    # "python" means the interpreter running voicecli, which has the packages voicecli's extras bring.
    executable = sys.executable if argv[0] in _PYTHON_NAMES else command_executable(persona.folder, argv[0])
    if executable is None:
        raise ToolFailure(
            f"MCP server {server.name!r} of {persona.path.name} cannot be started: "
            f"{argv[0]!r} is not an executable file or on PATH",
            hint=f"fix mcp_servers[{server.name}].command (run in {persona.folder})",
        )
    parameters = StdioServerParameters(command=executable, args=argv[1:], cwd=str(persona.folder))
    return stdio_client(parameters, errlog=errlog if errlog is not None else sys.stderr)


@asynccontextmanager
async def _closing(client: Client) -> AsyncIterator[Client]:
    """Enter ``client``; leaving closes it (stopping a stdio server), and a close that fails is no error."""
    await client.__aenter__()
    try:
        yield client
    finally:
        try:
            await client.__aexit__(None, None, None)
        except Exception as error:  # a server that already died: nothing left to close
            logging.getLogger(__name__).debug("closing an MCP session failed: %s", root_cause(error))


async def _list_tools(client: Client) -> dict[str, Tool]:
    tools: dict[str, Tool] = {}
    cursor: str | None = None
    for _ in range(100):  # a paginator that never ends cannot hang start-up
        page = await client.list_tools(cursor=cursor)
        tools.update((tool.name, tool) for tool in page.tools)
        cursor = page.next_cursor
        if cursor is None:
            break
    return tools


def _start_failure(persona: Persona, server: McpServer, error: BaseException, errlog: TextIO | None) -> ToolFailure:
    leaf = root_cause(error)
    where = " ".join(server.command) if server.command else str(server.url)
    if isinstance(error, TimeoutError):
        reason = f"it did not answer within {startup_timeout(server):g} s"
    elif getattr(leaf, "code", None) == -32000:  # CONNECTION_CLOSED: the process ended before answering
        reason = "it exited before answering"
    elif isinstance(leaf, OSError) and server.command:
        reason = f"cannot run it: {leaf.strerror or leaf}"
    else:
        reason = f"{type(leaf).__name__}: {leaf}"
    return ToolFailure(
        f"MCP server {server.name!r} of {persona.path.name} could not be started ({where}): "
        f"{reason}{stderr_tail(errlog)}",
        hint="check the server runs on its own, or remove it from mcp_servers",
    )


def _tool_specs(
    persona: Persona,
    server: McpServer,
    connection: McpConnection,
    taken: list[ToolSpec],
    notices: list[str] | None,
) -> list[ToolSpec]:
    offered = connection.tools
    missing = [choice.name for choice in server.tools if choice.name not in offered]
    if missing:
        raise PersonaError(
            f"MCP server {server.name!r} of {persona.path} does not offer {', '.join(map(repr, missing))}",
            [f"it offers: {', '.join(sorted(offered)) or 'no tools'}"],
        )
    specs = []
    names = {tool.name for tool in taken}
    for choice in server.tools:
        if not LIVE_NAME.match(choice.name):
            raise PersonaError(f"MCP tool {choice.name!r} of server {server.name!r} has a name the Live API "
                               "does not accept (letters, digits, _ . : - and at most 64)")
        if choice.name in names:
            raise PersonaError(f"MCP tool {choice.name!r} of server {server.name!r} has the name of another tool "
                               f"of {persona.path.name}")
        names.add(choice.name)
        tool = offered[choice.name]
        parameters, problems = to_live_schema(tool.input_schema)
        doc = parse_docstring(tool.description)
        for name, prop in parameters["properties"].items():
            if name in doc.params and not prop.get("description"):
                prop["description"] = doc.params[name]
        if notices is not None:
            notices.extend(f"{server.name}.{choice.name}: {problem}" for problem in problems)
        specs.append(
            ToolSpec(
                name=choice.name,
                handler=HandlerBinding(mcp=(server.name, choice.name)),
                description=doc.summary or tool.title,
                when=choice.when,
                parameters=parameters,
                timeout_s=server.timeout_s,
            )
        )
    return specs


def tool_result(result: CallToolResult) -> Any:
    """What the model receives from an MCP tool: its structured content, its text, or a summary of the rest.

    A result flagged as an error becomes ``{"error": {"message": ...}}``, which the runtime reports
    as a ``tool_error``.
    """
    blocks = [_block(block) for block in result.content]
    texts = [block for block in blocks if isinstance(block, str)]
    if result.is_error:
        return {"error": {"message": " ".join(texts) or "the tool reported an error"}}
    if result.structured_content is not None:
        return result.structured_content
    if len(texts) == len(blocks):
        return "\n".join(texts)
    return {"content": blocks}


def _block(block: Any) -> Any:
    kind = getattr(block, "type", None)
    if kind == "text":
        return block.text
    if kind in ("image", "audio"):
        return {"type": kind, "mime_type": block.mime_type, "note": "binary data is not passed to the model"}
    if kind == "resource_link":
        return {"type": kind, "uri": str(block.uri), "name": block.name}
    if kind == "resource":
        text = getattr(block.resource, "text", None)
        return text if isinstance(text, str) else {"type": kind, "uri": str(block.resource.uri)}
    return {"type": str(kind)}


def root_cause(error: BaseException) -> BaseException:
    """The first leaf of nested exception groups (anyio wraps transport failures in them)."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def stderr_tail(errlog: TextIO | None) -> str:
    """`` (stderr: ...)`` with the server's last lines of error output, or nothing."""
    if errlog is None or errlog.closed:
        return ""
    try:  # pread leaves the offset the server's own writes share alone
        fd = errlog.fileno()
        size = os.fstat(fd).st_size
        text = os.pread(fd, _STDERR_BYTES, max(0, size - _STDERR_BYTES)).decode(errors="replace")
    except (OSError, ValueError):
        return ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return f" (stderr: {' | '.join(lines[-_STDERR_TAIL:])})" if lines else ""
