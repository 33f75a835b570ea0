"""ToolRuntime against real handler modules and commands written beside a temporary persona."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from voicecli.errors import PersonaError
from voicecli.persona import load_persona
from voicecli.tools import ToolRuntime

HANDLERS = textwrap.dedent(
    """
    import asyncio, threading, time

    calls = []
    release = threading.Event()

    def echo(args):
        calls.append(args)
        return {"echo": args}

    async def slow(args):
        await asyncio.sleep(30)
        return {}

    def blocked(args):
        release.wait(5)
        return {"late": True}

    def boom(args):
        raise ValueError("no such order")

    def refuse(args):
        return {"error": {"code": "invalid_state", "message": "not a state"}}

    def not_json(args):
        return {"when": object()}

    never = threading.Event()
    async_started = threading.Event()
    async_cancelled = threading.Event()

    def hung(args):
        never.wait()  # a call that never returns

    async def blocking(args):
        time.sleep(1)  # blocks its event loop, as a synchronous HTTP call in async def would
        return {"blocked": True}

    async def cooperative(args):
        async_started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            async_cancelled.set()
            raise
    """
)

COMMAND = textwrap.dedent(
    """
    import json, sys
    args = json.load(sys.stdin)
    if args.get("mode") == "fail":
        print("it broke", file=sys.stderr)
        sys.exit(3)
    if args.get("mode") == "garbage":
        print("not json")
        sys.exit(0)
    if args.get("mode") == "hang":
        import time
        time.sleep(30)
    print(json.dumps({"doubled": args["n"] * 2}))
    """
)


def _tool(name: str, handler: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "A test tool.",
        "when": "when tested",
        "parameters": {"type": "object", "properties": {}},
        "handler": handler,
        **extra,
    }


@pytest.fixture
def runtime(tmp_path: Path) -> ToolRuntime:
    (tmp_path / "handlers.py").write_text(HANDLERS)
    (tmp_path / "double.py").write_text(COMMAND)
    echo = _tool("echo", {"python": "handlers:echo"})
    echo["parameters"] = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    tools = [
        echo,
        _tool("slow", {"python": "handlers:slow"}, timeout_s=0.05),
        _tool("blocked", {"python": "handlers:blocked"}),
        _tool("boom", {"python": "handlers:boom"}),
        _tool("refuse", {"python": "handlers:refuse"}),
        _tool("not_json", {"python": "handlers:not_json"}),
        _tool("hung", {"python": "handlers:hung"}, timeout_s=0.1),
        _tool("blocking", {"python": "handlers:blocking"}, timeout_s=0.1),
        _tool("cooperative", {"python": "handlers:cooperative"}, timeout_s=10),
        _tool("double", {"command": [sys.executable, "double.py"], "timeout_s": 10}),
        _tool("hang", {"command": [sys.executable, "double.py"], "timeout_s": 0.2}),
    ]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"persona": {"name": "T"}, "tools": tools}))
    return ToolRuntime(load_persona(path))


def _handlers_module(runtime: ToolRuntime) -> Any:
    return next(
        m
        for name, m in sys.modules.items()
        if name.startswith("voicecli_persona_tools_handlers_")
        and Path(m.__file__ or "").parent == runtime.persona.folder
    )


async def test_success_envelope(runtime: ToolRuntime) -> None:
    outcome = await runtime.run("c1", "echo", {"n": 1})
    assert outcome.ok and not outcome.duplicate
    assert outcome.response == {"output": {"echo": {"n": 1}}}
    assert (outcome.call_id, outcome.name) == ("c1", "echo")
    assert runtime.outcome_for("c1") == outcome


async def test_arguments_may_arrive_as_json_text(runtime: ToolRuntime) -> None:
    assert (await runtime.run("c1", "echo", '{"n": 2}')).response == {"output": {"echo": {"n": 2}}}


@pytest.mark.parametrize(
    ("name", "args", "kind"),
    [
        ("nope", {}, "unknown_tool"),
        ("echo", "{not json", "bad_arguments"),
        ("echo", [1, 2], "bad_arguments"),
        ("echo", {}, "bad_arguments"),
        ("slow", {}, "timeout"),
        ("boom", {}, "exception"),
        ("not_json", {}, "bad_output"),
        ("refuse", {}, "tool_error"),
    ],
)
async def test_failures_become_error_outcomes(runtime: ToolRuntime, name: str, args: Any, kind: str) -> None:
    outcome = await runtime.run("c1", name, args)
    assert not outcome.ok
    assert outcome.response["error"]["type"] == kind
    assert outcome.response["error"]["message"]


async def test_tool_errors_keep_the_handler_code(runtime: ToolRuntime) -> None:
    outcome = await runtime.run("c1", "refuse", {})
    assert outcome.response == {
        "error": {"type": "tool_error", "code": "invalid_state", "message": "not a state"}
    }


async def test_a_call_id_runs_at_most_once(runtime: ToolRuntime) -> None:
    calls = _handlers_module(runtime).calls
    first = await runtime.run("c1", "echo", {"n": 1})
    again = await runtime.run("c1", "echo", {"n": 99})
    assert again.duplicate and again.response == first.response
    assert len(calls) == 1


async def test_a_duplicate_awaits_the_call_in_flight(runtime: ToolRuntime) -> None:
    module = _handlers_module(runtime)
    first = asyncio.ensure_future(runtime.run("c1", "blocked", {}))
    second = asyncio.ensure_future(runtime.run("c1", "blocked", {}))
    await asyncio.sleep(0.01)
    assert not first.done() and not second.done()
    module.release.set()
    one, two = await asyncio.gather(first, second)
    assert one.response == two.response == {"output": {"late": True}}
    assert not one.duplicate and two.duplicate


async def test_cancelling_the_caller_cancels_the_handler(runtime: ToolRuntime) -> None:
    task = asyncio.ensure_future(runtime.run("c1", "slow", {}))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runtime.outcome_for("c1") is None


async def test_a_sync_call_that_never_returns_is_abandoned_in_a_daemon_thread(runtime: ToolRuntime) -> None:
    """Its timeout fires and nothing waits for it: not the event loop, not the interpreter at exit."""
    started = time.monotonic()
    outcome = await runtime.run("c1", "hung", {})
    assert outcome.response["error"]["type"] == "timeout"
    assert time.monotonic() - started < 2
    hung = [thread for thread in threading.enumerate() if thread.name == "voicecli tool hung"]
    assert hung and all(thread.daemon for thread in hung)


async def test_a_sync_handler_error_and_result_come_back_from_its_thread(runtime: ToolRuntime) -> None:
    assert (await runtime.run("c1", "boom", {})).response["error"]["message"] == "ValueError: no such order"
    assert (await runtime.run("c2", "echo", {"n": 3})).response == {"output": {"echo": {"n": 3}}}


async def test_an_async_handler_that_blocks_never_stalls_the_conversation(runtime: ToolRuntime) -> None:
    """It runs on the handlers' own loop: the conversation's loop keeps ticking, and its timeout fires."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    outcome = await runtime.run("c1", "blocking", {})
    elapsed = time.monotonic() - started
    ticker.cancel()
    assert outcome.response["error"]["type"] == "timeout"
    assert elapsed < 0.9, "the timeout fired while the handler still blocked its own loop"
    assert ticks >= 3


async def test_cancelling_an_async_call_cancels_the_handler_on_its_own_loop(runtime: ToolRuntime) -> None:
    module = _handlers_module(runtime)
    call = asyncio.create_task(runtime.run("c1", "cooperative", {}))
    assert await asyncio.to_thread(module.async_started.wait, 5)
    call.cancel()  # as a toolCallCancellation does
    with pytest.raises(asyncio.CancelledError):
        await call
    assert await asyncio.to_thread(module.async_cancelled.wait, 5), "the handler saw its cancellation"


async def test_command_handler(runtime: ToolRuntime) -> None:
    assert (await runtime.run("c1", "double", {"n": 21})).response == {"output": {"doubled": 42}}
    failed = await runtime.run("c2", "double", {"mode": "fail"})
    assert failed.response["error"]["type"] == "command_failed"
    assert "exit status 3: it broke" in failed.response["error"]["message"]
    garbage = await runtime.run("c3", "double", {"mode": "garbage"})
    assert garbage.response["error"]["type"] == "bad_output"


async def test_command_timeout_kills_the_process(runtime: ToolRuntime) -> None:
    outcome = await runtime.run("c1", "hang", {"mode": "hang"})
    assert outcome.response["error"]["type"] == "timeout"


def test_unresolvable_binding_is_a_persona_error(tmp_path: Path) -> None:
    (tmp_path / "handlers.py").write_text("def other(args):\n    return {}\n")
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"tools": [_tool("echo", {"python": "handlers:echo"})]}))
    with pytest.raises(PersonaError, match="cannot be loaded") as caught:
        ToolRuntime(load_persona(path))
    assert "no function 'echo'" in caught.value.problems[0]


async def test_laura_tools_run_through_the_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICECLI_LAURA_DB", str(tmp_path / "laura.sqlite3"))
    from voicecli.paths import personas_dir

    runtime = ToolRuntime(load_persona(personas_dir() / "laura.yaml"))
    outcome = await runtime.run(
        "c1",
        "create_client_profile",
        {"full_name": "Ada Byron", "date_of_birth": "1985-12-10", "state": "NJ"},
    )
    assert outcome.ok and outcome.response["output"]["state"] == "NJ"
    refused = await runtime.run("c2", "get_next_appointment", {"client_id": "cl_nobody"})
    assert refused.response["error"]["code"] == "unknown_client"
