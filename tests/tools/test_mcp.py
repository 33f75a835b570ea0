"""Tools from MCP servers: a real server (tests/tools/mcp_notes_server.py) over stdio and streamable HTTP."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.genai import types

from voicecli.errors import PersonaError, ToolFailure
from voicecli.persona import load_persona
from voicecli.persona.instructions import function_declarations
from voicecli.persona.model import Persona
from voicecli.tools import ToolRuntime
from voicecli.tools import mcp as mcp_module
from voicecli.tools.mcp import mcp_tools

SERVER = Path(__file__).with_name("mcp_notes_server.py")
CHOSEN = ["add_note", "list_notes", "folder", "slow", "refuse", "crash"]


def _persona(folder: Path, server: dict[str, Any], tools: list[str] = CHOSEN) -> Persona:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SERVER, folder / SERVER.name)
    document = {
        "persona": {"name": "Notes"},
        "rules": [{"instructions": "Keep notes for the user."}],
        "mcp_servers": [
            {"name": "notes", **server, "tools": [{"name": name, "when": f"when testing {name}"} for name in tools]}
        ],
    }
    path = folder / "notes.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return load_persona(path)


def _stdio(folder: Path, **extra: Any) -> Persona:
    return _persona(folder, {"command": ["python", SERVER.name], **extra})


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_stdio_tools_are_declared_and_called_through_the_runtime(tmp_path: Path) -> None:
    persona = _stdio(tmp_path / "persona", timeout_s=15)
    notices: list[str] = []
    async with mcp_tools(persona, notices) as live:
        assert [tool.name for tool in live.tools] == CHOSEN
        add_note = live.tool("add_note")
        assert add_note is not None and add_note.handler is not None
        assert add_note.handler.mcp == ("notes", "add_note")
        assert (add_note.when, add_note.timeout_s) == ("when testing add_note", 15)
        assert add_note.description == "Store a note and return its number."
        properties = add_note.parameters["properties"]
        assert properties["text"] == {"type": "string", "description": "What to remember, in the user's words."}
        assert properties["tags"]["nullable"] is True and properties["tags"]["items"] == {"type": "string"}
        assert properties["reminder"]["properties"]["at"]["format"] == "date-time"
        assert add_note.parameters["required"] == ["text"]
        assert notices == []
        for declaration in function_declarations(live):  # what talk sends at setup
            types.FunctionDeclaration.model_validate(declaration)

        runtime = ToolRuntime(live)
        added = await runtime.run("c1", "add_note", {"text": "buy milk", "tags": ["home"]})
        assert added.ok and added.response["output"]["number"] == 1
        assert (await runtime.run("c1", "add_note", {"text": "buy milk"})).duplicate  # once per call id
        listed = await runtime.run("c2", "list_notes", {})
        assert [note["text"] for note in listed.response["output"]["notes"]] == ["buy milk"]
        assert (await runtime.run("c3", "folder", {})).response == {"output": {"result": str(tmp_path / "persona")}}

        refused = await runtime.run("c4", "refuse", {"reason": "not today"})
        assert refused.response["error"]["type"] == "tool_error"

        quick = ToolRuntime(replace(live, tools=[replace(t, timeout_s=0.3) for t in live.tools]))
        late = await quick.run("c5", "slow", {"seconds": 1.5})
        assert late.response["error"]["type"] == "timeout"
        assert (await runtime.run("c6", "list_notes", {})).ok  # the session outlives an abandoned call

        pid = added.response["output"]["pid"]
        crashed = await runtime.run("c7", "crash", {})
        assert crashed.response["error"]["type"] == "mcp_server_gone"
        assert "'notes' has stopped" in crashed.response["error"]["message"]
        again = await runtime.run("c8", "list_notes", {})
        assert again.response["error"]["type"] == "mcp_server_gone"
    assert _gone(pid)
    with pytest.raises(PersonaError, match="which is not connected"):
        ToolRuntime(live)


async def test_leaving_the_block_stops_the_server_also_when_cancelled(tmp_path: Path) -> None:
    persona = _stdio(tmp_path, timeout_s=15)
    started: asyncio.Future[tuple[int, ToolRuntime]] = asyncio.get_running_loop().create_future()

    async def conversation() -> None:
        async with mcp_tools(persona) as live:
            runtime = ToolRuntime(live)
            outcome = await runtime.run("c1", "add_note", {"text": "x"})
            started.set_result((outcome.response["output"]["pid"], runtime))
            await asyncio.sleep(60)  # a conversation, until Ctrl-C cancels it

    task = asyncio.create_task(conversation())
    pid, runtime = await started
    assert not _gone(pid)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _gone(pid)
    closed = await runtime.run("c2", "list_notes", {})
    assert closed.response["error"]["type"] == "mcp_server_gone"


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "http-server.log").open("w")
    process = subprocess.Popen([sys.executable, str(SERVER), "http", str(port)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:  # wait until it listens (not a timing assertion: the test fails only if it never does)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the HTTP MCP server did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(10)
        log.close()


async def test_streamable_http_server(tmp_path: Path, http_server: str) -> None:
    persona = _persona(tmp_path / "a", {"url": http_server}, ["add_note", "list_notes"])
    async with mcp_tools(persona) as live:
        runtime = ToolRuntime(live)
        assert (await runtime.run("c1", "add_note", {"text": "over http"})).ok
        listed = await runtime.run("c2", "list_notes", {})
        assert listed.response["output"]["notes"][-1]["text"] == "over http"

    unknown = _persona(tmp_path / "b", {"url": http_server}, ["add_note", "no_such_tool"])
    with pytest.raises(PersonaError, match="does not offer 'no_such_tool'") as refused:
        async with mcp_tools(unknown):
            pass
    assert "add_note" in refused.value.problems[0]


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ({"command": ["./no-such-server"]}, "'./no-such-server' is not an executable file or on PATH"),
        ({"command": ["python", "missing_server.py"]}, "it exited before answering (stderr: "),
        ({"url": "http://127.0.0.1:9/mcp"}, "ConnectError"),
    ],
)
async def test_a_server_that_cannot_start_is_one_tool_failure(
    tmp_path: Path, server: dict[str, Any], message: str
) -> None:
    persona = _persona(tmp_path, server, ["add_note"])
    with pytest.raises(ToolFailure) as failure:
        async with mcp_tools(persona):
            pass
    assert failure.value.message.startswith("MCP server 'notes' of notes.yaml could not") or "cannot be started" in (
        failure.value.message
    )
    assert message in failure.value.message
    assert failure.value.exit_code == 7


async def test_a_server_that_never_answers_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mute.py").write_text("import sys\nsys.stdin.read()  # never answers; leaves when stdin closes\n")
    persona = _persona(tmp_path, {"command": ["python", "mute.py"], "timeout_s": 0.5}, ["add_note"])
    monkeypatch.setattr(mcp_module, "STARTUP_TIMEOUT_S", 0.5)
    with pytest.raises(ToolFailure, match="it did not answer within 0.5 s"):
        async with mcp_tools(persona):
            pass


async def test_a_persona_without_servers_is_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump({"persona": {"name": "Plain"}, "rules": [{"instructions": "Chat."}]}))
    persona = load_persona(path)
    async with mcp_tools(persona) as same:
        assert same is persona
