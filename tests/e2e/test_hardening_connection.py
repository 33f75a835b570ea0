"""The connection retries only the network and the service, and never replays an answer to a cancelled call.

* A failure of voicecli's own code (here: a tool of ``fixtures/oops.yaml`` swaps the speaker for
  one that raises, so the conversation's callback fails on the next agent audio) ends the run at
  once with exit 1 and its message, and the session log says so. It is not mistaken for a
  dropped connection, even when it is an ``OSError``.
* After ``toolCallCancellation``, a drop does not make the replay send the cancelled call's
  answer again (both backends), against the real SDK and the emulator's frame record.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import scripted_offline, voicecli
from voicecli import events as ev
from voicecli.emulator import Emulator
from voicecli.live.backends import Credentials, make_client
from voicecli.live.backoff import Backoff
from voicecli.live.config import TalkSettings, build_live_config
from voicecli.live.connection import LiveConnection
from voicecli.outgoing import OutgoingQueue
from voicecli.persona import load_persona

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FIXTURES = Path(__file__).parent / "fixtures"
OTTO = FIXTURES / "oops.yaml"
MODEL = "gemini-3.8-live"
BACKENDS = ["developer", "vertex"]
ERRORS = {"runtime": ("RuntimeError", "the speaker driver crashed"),
          "oserror": ("OSError", "No space left on device")}


def _talk_otto(error: str, *extra: str) -> Any:
    return voicecli(*extra, "talk", *scripted_offline(OTTO), "--speed", "0", "--fast", "--say", "Break it.",
                    "--json", "--timeout", "60", env={"OTTO_ERROR": error}, timeout=60)


@pytest.mark.parametrize("error", sorted(ERRORS))
def test_a_failure_of_our_own_code_ends_the_run_at_once(error: str) -> None:
    kind, message = ERRORS[error]
    run = _talk_otto(error)
    assert run.code == 1, run.stderr
    assert "unexpected error" in run.stderr and message in run.stderr
    assert "Traceback" not in run.stderr
    # Not taken for a dropped connection: no reconnect was even tried.
    assert not [s for s in run.of_type("state") if s.get("connection") in ("reconnecting", "resuming")]
    assert not [n for n in run.of_type("notice") if "connection lost" in n["text"]]
    notices = [n for n in run.of_type("notice") if n["level"] == "error"]
    assert len(notices) == 1 and "unexpected error" in notices[0]["text"] and message in notices[0]["text"]
    assert run.of_type("summary")[0]["outcome"] == kind
    errors = run.of_type("error")
    assert len(errors) == 1 and errors[0]["exit_code"] == 1 and message in errors[0]["message"]

    # The session log says how the run ended, and why.
    logs = voicecli("logs", "show", "latest", "--json")
    assert logs.code == 0, logs.stderr
    document = json.loads(logs.stdout)
    assert document["session"]["outcome"] == kind
    logged = [e for e in document["entries"] if e["type"] == "event" and e.get("kind") == "notice"]
    assert any(e["detail"]["level"] == "error" and "unexpected error" in e["detail"]["text"]
               and message in e["detail"]["text"] for e in logged), document["entries"]


def test_debug_shows_the_traceback_of_our_own_failure() -> None:
    run = _talk_otto("runtime", "--debug")
    assert run.code == 1, run.stderr
    assert "Traceback" in run.stderr
    assert "RuntimeError: the speaker driver crashed" in run.stderr
    assert "oops_tools.py" in run.stderr  # the frame that raised, not the connection's retry loop


# ---- a drop right after toolCallCancellation --------------------------------------------------------


async def _until(predicate: Any, limit_s: float = 20.0) -> None:
    async with asyncio.timeout(limit_s):
        while not predicate():  # noqa: ASYNC110 - events are appended by a callback, not signalled
            await asyncio.sleep(0.01)


def _spoke_and_finished(events: list[Any]) -> bool:
    """The agent said something, and then finished its turn."""
    spoke = next((i for i, e in enumerate(events) if isinstance(e, ev.Transcript) and e.role == "agent"), None)
    return spoke is not None and any(isinstance(e, ev.ServerTurnComplete) for e in events[spoke:])


def _tool_responses(records: list[dict[str, Any]], conn: int | None = None) -> list[str]:
    """Call ids of the tool responses the service received (on one connection, or on all)."""
    ids: list[str] = []
    for record in records:
        frame = record.get("frame") or {}
        if record["dir"] == "in" and "tool_response" in frame and (conn is None or record["conn"] == conn):
            ids.extend(str(answer.get("id")) for answer in frame["tool_response"]["function_responses"])
    return ids


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_drop_right_after_a_cancellation_does_not_replay_the_cancelled_answer(
    tmp_path: Path, backend: str
) -> None:
    """The user talks over a blocking call just as its answer goes out: the service cancels the call
    (the answer arrives after the cancellation and is ignored), then the connection drops. The replay
    on the resumed connection re-sends what the service may have missed, but not that answer."""
    persona = load_persona(FIXTURES / "tess.yaml")
    vertex = backend == "vertex"
    settings = TalkSettings(backend=backend)
    outgoing = OutgoingQueue()
    events: list[Any] = []
    states: list[Any] = []
    dropped: list[str] = []

    async with Emulator(ca_dir=tmp_path / "ca", scenario=FIXTURES / "cut.scenario.yaml", speed=0) as emu:
        client = make_client(Credentials(backend, api_key="emulator-key", base_url=emu.base_url,
                                         ca_file=emu.ca_file, offline=True))

        def on_event(event: Any) -> None:
            events.append(event)
            if isinstance(event, ev.ToolCallsCancelled) and not dropped:
                dropped.extend(event.call_ids)
                emu.faults.drop_now()  # right after the cancellation, before anything else
            elif isinstance(event, ev.ToolCallsRequested) and dropped:
                # After the resume, a client answers what the service asks (again), as usual.
                outgoing.offer(ev.SendToolResponses(tuple(ev.ToolReply(c.call_id, c.name, {"output": {}})
                                                          for c in event.calls)))

        def config_for(handle: str | None, context: str | None) -> Any:
            return build_live_config(persona, TalkSettings(backend=backend, resumption_handle=handle,
                                                           extra_context=context))

        connection = LiveConnection(
            client, MODEL, config_for, outgoing, on_event, states.append, transparent=vertex,
            backoff=Backoff(time.monotonic, random.Random(3), base_s=0.02, cap_s=0.1),
        )
        assert settings.backend == backend
        link = asyncio.create_task(connection.run())
        try:
            await outgoing.put(ev.SendText("Check the systems."))
            await _until(lambda: any(isinstance(e, ev.ToolCallsRequested) for e in events))
            call = next(e for e in events if isinstance(e, ev.ToolCallsRequested)).calls[0]
            # The user speaks over the call just as its answer is sent.
            await outgoing.put(ev.SendText("Never mind."))
            await outgoing.put(ev.SendToolResponses((ev.ToolReply(call.call_id, call.name,
                                                                  {"output": {"status": "green"}}),)))
            await _until(lambda: bool(dropped))
            await _until(lambda: connection.connections >= 2)
            mark = len(events)
            await outgoing.put(ev.SendText("Are you there?"))
            await _until(lambda: _spoke_and_finished(events[mark:]))  # the conversation goes on
        finally:
            link.cancel()
            await asyncio.gather(link, return_exceptions=True)
        records = list(emu.record)

    assert dropped == [call.call_id]
    assert [r["dir"] for r in records].count("drop") == 1
    assert _tool_responses(records, conn=1) == [call.call_id], "the answer went out before the drop"
    assert [r["conn"] for r in records if r["dir"] == "in" and r.get("index") == 0] == [1, 2]  # one resume
    replayed = connection.frames_replayed
    assert replayed >= 1, "the resumed connection was given a replay"
    # The replay: what the client sent first on the resumed connection, before anything new.
    replay = [r for r in records if r["dir"] == "in" and r["conn"] == 2 and 0 < r["index"] <= replayed]
    assert len(replay) == replayed
    assert call.call_id not in _tool_responses(replay), "the cancelled call's answer was replayed"
    assert all(reply.call_id != call.call_id for entry in connection.policy.buffer
               if isinstance(entry.message, ev.SendToolResponses) for reply in entry.message.replies)
