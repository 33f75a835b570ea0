"""A resume refused while the dropped socket lingers on the service: the short ladder, then backoff.

No timed assertions: the tests check which waits the connection chose, in order.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from google.genai import errors as genai_errors
from google.genai import types
from websockets.exceptions import ConnectionClosedError
from websockets.frames import Close

from tests.e2e.resilience_harness import Run, converse, speaking
from voicecli import events as ev
from voicecli.emulator import Faults
from voicecli.errors import BackendError
from voicecli.live.backoff import LINGER_LADDER_S, Backoff, LingerLadder, lingering_refusal
from voicecli.live.connection import LiveConnection
from voicecli.outgoing import OutgoingQueue

REFUSED = "Internal error encountered."


# ---- recognising the state --------------------------------------------------------------------


@pytest.mark.parametrize(("code", "reason", "resuming", "during_setup", "expected"), [
    (1011, REFUSED, True, True, True),  # the service's words are generic: the moment says it
    (1011, REFUSED, False, True, False),  # a fresh session has no old socket
    (1011, REFUSED, True, False, False),  # a close mid-session is a hiccup, not the linger
    (1011, "The session is still attached to another connection", False, False, True),
    (1006, "", True, True, False),
    (1008, "BidiGenerateContent session not found", True, True, False),
    (None, "reset", True, True, False),
])
def test_which_failures_are_a_lingering_socket(code: int | None, reason: str, resuming: bool,
                                              during_setup: bool, expected: bool) -> None:
    assert lingering_refusal(code, reason, resuming=resuming, during_setup=during_setup) is expected


def test_the_ladder_gives_its_steps_then_none_until_reset() -> None:
    ladder = LingerLadder()
    assert [ladder.next_delay() for _ in range(len(LINGER_LADDER_S) + 1)] == [*LINGER_LADDER_S, None]
    ladder.reset()
    assert ladder.next_delay() == LINGER_LADDER_S[0]


def test_the_default_ladder_is_short() -> None:
    assert list(LINGER_LADDER_S) == sorted(LINGER_LADDER_S)
    assert sum(LINGER_LADDER_S) <= 0.3 + 1e-9  # the state it waits out clears within 300 ms


# ---- the connection's choices, with a fake SDK --------------------------------------------------


class Session:
    """Sends a resumption handle, then fails as scripted (or stays open)."""

    def __init__(self, fail: Exception | None) -> None:
        self.fail = fail

    async def receive(self) -> AsyncIterator[types.LiveServerMessage]:
        yield types.LiveServerMessage(session_resumption_update=types.LiveServerSessionResumptionUpdate(
            new_handle="h1", resumable=True))
        if self.fail is not None:
            raise self.fail
        await _forever()

    async def send_realtime_input(self, **kwargs: Any) -> None:
        return None

    async def send_client_content(self, **kwargs: Any) -> None:
        return None

    async def send_tool_response(self, **kwargs: Any) -> None:
        return None


async def _forever() -> None:
    import asyncio

    await asyncio.Event().wait()


class Live:
    def __init__(self, script: list[Session | Exception]) -> None:
        self.script = script
        self.handles: list[str | None] = []

    @contextlib.asynccontextmanager
    async def connect(self, *, model: str, config: types.LiveConnectConfig) -> AsyncIterator[Session]:
        resumption = config.session_resumption
        self.handles.append(resumption.handle if resumption is not None else None)
        outcome = self.script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        yield outcome


def refused() -> ConnectionClosedError:
    return ConnectionClosedError(Close(1011, REFUSED), None)


def dropped() -> genai_errors.APIError:
    return genai_errors.APIError(1006, {"message": "Abnormal closure."})


async def run_until_connected(script: list[Session | Exception], connections: int) -> LiveConnection:
    import asyncio

    live = Live(script)

    def config_for(handle: str | None, context: str | None) -> types.LiveConnectConfig:
        return types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig(handle=handle))

    async def no_wait(_seconds: float) -> None:
        await asyncio.sleep(0)

    conn = LiveConnection(
        SimpleNamespace(aio=SimpleNamespace(live=live)), "model", config_for, OutgoingQueue(),  # type: ignore[arg-type]
        lambda _e: None, lambda _s: None, transparent=False,
        backoff=Backoff(time.monotonic, random.Random(1), base_s=1.0, cap_s=8.0, budget=6), sleep=no_wait,
    )
    task = asyncio.create_task(conn.run())
    for _ in range(1000):
        if conn.connections >= connections or task.done():
            break
        await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return conn


def kinds(conn: LiveConnection) -> list[str]:
    return [kind for kind, _ in conn.waits]


async def test_refused_resumes_climb_the_ladder_then_resume() -> None:
    conn = await run_until_connected([Session(dropped()), refused(), refused(), Session(None)], connections=2)
    assert conn.waits == [("backoff", 0.0), ("linger", LINGER_LADDER_S[0]), ("linger", LINGER_LADDER_S[1])]
    assert conn.connections == 2
    assert conn.backoff.attempt == 1  # the ladder used none of the budget


async def test_past_the_ladder_the_general_backoff_takes_over() -> None:
    steps = len(LINGER_LADDER_S)
    conn = await run_until_connected([Session(dropped()), *[refused()] * (steps + 1), Session(None)],
                                     connections=2)
    assert kinds(conn) == ["backoff", *["linger"] * steps, "backoff"]
    assert [delay for _, delay in conn.waits[1:-1]] == list(LINGER_LADDER_S)
    assert 0.5 <= conn.waits[-1][1] <= 1.0  # the second attempt of the general backoff


async def test_the_ladder_starts_over_after_a_connection_comes_up() -> None:
    script: list[Session | Exception] = [Session(dropped()), refused(), Session(dropped()), refused(),
                                         Session(None)]
    conn = await run_until_connected(script, connections=3)
    assert kinds(conn) == ["backoff", "linger", "backoff", "linger"]
    assert conn.waits[3] == ("linger", LINGER_LADDER_S[0])


async def test_a_1011_on_a_fresh_session_keeps_the_general_backoff() -> None:
    conn = await run_until_connected([refused(), Session(None)], connections=1)
    assert conn.waits == [("backoff", 0.0)]


async def test_a_1011_closing_an_open_session_keeps_the_general_backoff() -> None:
    conn = await run_until_connected([Session(refused()), Session(refused()), Session(None)], connections=3)
    assert kinds(conn) == ["backoff", "backoff"]


async def test_other_refusals_keep_their_classification() -> None:
    not_found = ConnectionClosedError(Close(1008, "BidiGenerateContent session not found"), None)
    invalid = ConnectionClosedError(Close(1007, "Request contains an invalid argument."), None)
    conn = await run_until_connected([Session(dropped()), not_found, Session(None)], connections=2)
    assert kinds(conn) == ["backoff"]  # stale handle: started afresh at once, no wait
    with pytest.raises(BackendError):
        await LiveConnection(
            SimpleNamespace(aio=SimpleNamespace(live=Live([Session(dropped()), invalid]))),  # type: ignore[arg-type]
            "model", lambda h, c: types.LiveConnectConfig(), OutgoingQueue(), lambda _e: None, lambda _s: None,
            transparent=False,
        ).run()


# ---- end to end: the emulator's lingering socket --------------------------------------------------


async def test_a_resume_refused_by_the_emulator_is_retried_on_the_ladder(tmp_path: Path) -> None:
    faults = Faults()
    faults.linger_refusals = 2  # the dropped socket stays attached until two resumes were refused
    fired: list[bool] = []

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "sent" and not fired and speaking(run, item) and run.audio_frames_sent > 60:
            fired.append(True)
            run.emu.faults.drop_now()

    # A general backoff this slow would show in the waits: the ladder must be what resumes.
    backoff = Backoff(time.monotonic, random.Random(3), base_s=5.0, cap_s=5.0, budget=6)
    from tests.e2e.resilience_harness import laura_script

    run = await converse(tmp_path, backend="developer", trigger=trigger, backoff=backoff, faults=faults,
                         script=laura_script()[:2])
    refusals = [r for r in run.records if r["dir"] == "close" and r.get("code") == 1011]
    assert fired and len(refusals) == 2
    assert run.connection.waits == [("backoff", 0.0), ("linger", LINGER_LADDER_S[0]),
                                    ("linger", LINGER_LADDER_S[1])]
    assert any(isinstance(s, ev.ConnectionState) and s.detail == "resumed" for s in run.states)
    assert len(run.agent_turns) == 3  # the greeting and both turns answered
