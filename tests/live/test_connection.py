"""LiveConnection against a fake SDK: which failures are retried, cancelled calls, the goAway watch.

The fake client stands in for ``client.aio.live``: each connect attempt takes the next outcome
of a script, an exception to raise or a session whose ``receive()`` yields frames (or raises)
and then waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from google.auth import exceptions as auth_errors
from google.genai import errors as genai_errors
from google.genai import types
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.frames import Close

from voicecli import events as ev
from voicecli.errors import AuthError, BackendError
from voicecli.live.backoff import Backoff
from voicecli.live.connection import LiveConnection, ServiceFailure, _PlannedReconnect, service_failure
from voicecli.live.goaway import GoAwayPlan
from voicecli.outgoing import OutgoingQueue

TURN_COMPLETE = types.LiveServerMessage(server_content=types.LiveServerContent(turn_complete=True))


class FakeSession:
    def __init__(self, frames: list[types.LiveServerMessage | Exception]) -> None:
        self.frames = frames
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def receive(self) -> AsyncIterator[types.LiveServerMessage]:
        for frame in self.frames:
            if isinstance(frame, Exception):
                raise frame
            yield frame
        self.frames = []
        await asyncio.Event().wait()  # a quiet connection

    async def send_realtime_input(self, **kwargs: Any) -> None:
        self.sent.append(("realtime_input", kwargs))

    async def send_client_content(self, **kwargs: Any) -> None:
        self.sent.append(("client_content", kwargs))

    async def send_tool_response(self, **kwargs: Any) -> None:
        self.sent.append(("tool_response", kwargs))


class FakeLive:
    def __init__(self, script: list[FakeSession | Exception]) -> None:
        self.script = script
        self.attempts = 0

    @contextlib.asynccontextmanager
    async def connect(self, *, model: str, config: Any) -> AsyncIterator[FakeSession]:
        outcome = self.script[min(self.attempts, len(self.script) - 1)]
        self.attempts += 1
        if isinstance(outcome, Exception):
            raise outcome
        yield outcome


def connection(script: list[FakeSession | Exception], *, on_event: Callable[[Any], None] = lambda e: None,
               on_state: Callable[[object], None] | None = None, budget: int = 3,
               at_safe_point: Callable[[], bool] = lambda: True) -> tuple[LiveConnection, FakeLive, list[object]]:
    live = FakeLive(script)
    states: list[object] = []
    client: Any = SimpleNamespace(aio=SimpleNamespace(live=live))
    conn = LiveConnection(
        client, "model", lambda handle, context: types.LiveConnectConfig(), OutgoingQueue(), on_event,
        on_state or states.append, transparent=False, at_safe_point=at_safe_point,
        backoff=Backoff(time.monotonic, random.Random(1), base_s=0.001, cap_s=0.005, budget=budget),
    )
    return conn, live, states


def closed_1006() -> genai_errors.APIError:
    return genai_errors.APIError(1006, {"message": "Abnormal closure."})


# ---- which failures are the network's or the service's ----------------------------------------


@pytest.mark.parametrize("error", [
    closed_1006(),
    ConnectionClosedError(None, None),
    ConnectionClosedError(Close(1011, "Internal error"), None),
    OSError(104, "Connection reset by peer"),
    ConnectionRefusedError(111, "Connection refused"),
    TimeoutError("timed out during opening handshake"),
    ssl.SSLError("handshake failure"),
    ValueError("Failed to parse response: b'{this is not json'"),
    auth_errors.TransportError("the token endpoint is unreachable"),
], ids=repr)
def test_network_and_service_failures_are_recognised(error: Exception) -> None:
    assert service_failure(error)


@pytest.mark.parametrize("error", [
    RuntimeError("a bug"), ValueError("Function response id is required"), TypeError("bad argument"),
    KeyError("handle"), AttributeError("no such field"), AssertionError(),
], ids=repr)
def test_our_own_failures_are_not(error: Exception) -> None:
    assert not service_failure(error)


async def test_a_refused_upgrade_and_drops_are_retried_until_the_budget_is_spent() -> None:
    response = SimpleNamespace(status_code=503, headers={}, body=b"")
    conn, live, states = connection([InvalidStatus(response), OSError(104, "reset"), closed_1006()], budget=3)  # type: ignore[arg-type]
    with pytest.raises(BackendError, match="after 3 attempts"):
        await conn.run()
    assert live.attempts == 4  # the first try and three retries
    assert sum(isinstance(s, ev.ConnectionState) and s.state == "reconnecting" for s in states) == 3


async def test_a_frame_the_sdk_cannot_read_is_the_services_failure() -> None:
    garbled = FakeSession([ValueError("pydantic could not validate the frame")])
    conn, live, _ = connection([garbled, FakeSession([])], budget=2)
    task = asyncio.create_task(conn.run())
    for _ in range(100):
        if conn.connections >= 2:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert conn.connections == 2, "a frame the SDK could not read is retried like a drop"


@pytest.mark.parametrize("error", [RuntimeError("the speaker driver crashed"),
                                   OSError(28, "No space left on device")], ids=repr)
async def test_a_failing_callback_ends_the_run_at_once(error: Exception) -> None:
    """Even an OSError: raised by our own callback, it is no network failure."""
    def on_event(event: Any) -> None:
        if isinstance(event, ev.ServerTurnComplete):
            raise error

    conn, live, states = connection([FakeSession([TURN_COMPLETE])], on_event=on_event)
    with pytest.raises(type(error)) as raised:
        await conn.run()
    assert raised.value is error  # unchanged, with its own traceback
    assert live.attempts == 1 and conn.connections == 1
    assert not any(isinstance(s, ev.ConnectionState) and s.state == "reconnecting" for s in states)
    notices = [s for s in states if isinstance(s, ev.Notice)]
    assert [n.level for n in notices] == ["error"]
    assert "unexpected error" in notices[0].text and str(error) in notices[0].text


async def test_a_failing_state_callback_ends_the_run_too() -> None:
    def on_state(event: object) -> None:
        raise RuntimeError("the log is gone")

    conn, live, _ = connection([FakeSession([])], on_state=on_state)
    with pytest.raises(RuntimeError, match="the log is gone"):
        await conn.run()
    assert live.attempts == 0  # it failed announcing "connecting"


async def test_a_mistake_of_ours_the_sdk_refuses_to_send_is_not_retried() -> None:
    """The SDK raises ValueError for a tool response without an id (Developer API): our bug."""

    class Refusing(FakeSession):
        async def send_tool_response(self, **kwargs: Any) -> None:
            raise ValueError("Function response id is required")

    conn, live, _ = connection([Refusing([])])
    await conn._outgoing.put(ev.SendToolResponses((ev.ToolReply("", "lookup", {"output": 1}),)))
    with pytest.raises(ValueError, match="id is required"):
        await conn.run()
    assert live.attempts == 1


async def test_a_config_the_sdk_rejects_is_not_retried() -> None:
    conn, live, _ = connection([ValueError("connect() only supports base_url in http_options")])
    with pytest.raises(ValueError, match="only supports"):
        await conn.run()
    assert live.attempts == 1


async def test_unusable_google_credentials_are_an_auth_error() -> None:
    conn, live, _ = connection([auth_errors.DefaultCredentialsError("no application default credentials")])
    with pytest.raises(AuthError, match="credentials"):
        await conn.run()
    assert live.attempts == 1


def test_service_failure_keeps_what_the_sdk_raised() -> None:
    error = closed_1006()
    assert ServiceFailure(error).error is error


# ---- toolCallCancellation: a reply to a cancelled call is neither replayed nor sent ---------------


def reply(*call_ids: str) -> ev.SendToolResponses:
    return ev.SendToolResponses(tuple(ev.ToolReply(call_id, "lookup", {"output": call_id}) for call_id in call_ids))


def test_a_cancellation_withdraws_the_unacknowledged_reply() -> None:
    conn, _, _ = connection([FakeSession([])])
    conn.policy.buffer.new_connection()
    conn.policy.buffer.append(reply("c1", "c2"))
    conn._observe(ev.ToolCallsCancelled(("c2",)))
    assert [entry.message for entry in conn.policy.buffer.new_connection()] == [reply("c1")]


def test_a_reply_to_a_cancelled_call_is_held_back_until_the_call_is_asked_for_again() -> None:
    conn, _, _ = connection([FakeSession([])])
    conn._observe(ev.ToolCallsCancelled(("c2",)))
    assert conn._without_cancelled_replies(reply("c1", "c2")) == reply("c1")
    assert conn._without_cancelled_replies(reply("c2")) is None
    assert conn._without_cancelled_replies(ev.SendText("hi")) == ev.SendText("hi")
    # A resumed session asks for the call again, under the same id: its answer goes out then.
    conn._observe(ev.ToolCallsRequested((ev.ToolCallEvent("c2", "lookup", {}),)))
    assert conn._without_cancelled_replies(reply("c2")) == reply("c2")


# ---- the goAway watch: idle until a goAway, a timer for the forced point -------------------------


async def test_the_goaway_watch_sleeps_until_a_goaway_arrives() -> None:
    asked: list[float] = []

    def at_safe_point() -> bool:
        asked.append(time.monotonic())
        return True

    conn, _, _ = connection([FakeSession([])], at_safe_point=at_safe_point)
    conn.policy.handles.update("handle-1", True)
    watch = asyncio.create_task(conn._goaway_watch())
    await asyncio.sleep(0.3)
    assert not watch.done() and asked == [], "no polling while no goAway is pending"
    conn._observe(ev.GoAwayNotice(30.0))
    with pytest.raises(_PlannedReconnect):
        await asyncio.wait_for(watch, 2)
    assert len(asked) == 1  # at a safe point already: it leaves at once


async def test_the_goaway_watch_leaves_at_the_forced_point_when_no_safe_point_comes() -> None:
    conn, _, _ = connection([FakeSession([])], at_safe_point=lambda: False)
    conn.policy.handles.update("handle-1", True)
    conn._observe(ev.GoAwayNotice(3.3))  # forced 3 s before the deadline: 0.3 s from now
    plan = conn._goaway
    assert isinstance(plan, GoAwayPlan)
    started = time.monotonic()
    with pytest.raises(_PlannedReconnect):
        await asyncio.wait_for(conn._goaway_watch(), 5)
    assert time.monotonic() - started >= 0.29
    assert plan.seconds_until_forced() == 0.0


async def test_the_goaway_watch_leaves_at_the_first_safe_point() -> None:
    safe = [False]
    conn, _, _ = connection([FakeSession([])], at_safe_point=lambda: safe[0])
    conn.policy.handles.update("handle-1", True)
    conn._observe(ev.GoAwayNotice(60.0))
    watch = asyncio.create_task(conn._goaway_watch())
    await asyncio.sleep(0.2)
    assert not watch.done()
    safe[0] = True
    with pytest.raises(_PlannedReconnect):
        await asyncio.wait_for(watch, 1)


async def test_without_a_handle_the_goaway_watch_waits_for_one() -> None:
    conn, _, _ = connection([FakeSession([])], at_safe_point=lambda: True)
    conn._observe(ev.GoAwayNotice(0.5))  # forced at once, but nothing to resume with yet
    watch = asyncio.create_task(conn._goaway_watch())
    await asyncio.sleep(0.2)
    assert not watch.done()
    conn.policy.handles.update("handle-1", True)
    with pytest.raises(_PlannedReconnect):
        await asyncio.wait_for(watch, 1)


# ---- the lean audio path: the same wire text as the SDK's -----------------------------------------


class _CapturingSocket:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, text: str) -> None:
        self.sent.append(text)


def _sdk_session(vertex: bool) -> Any:
    from google.genai import live

    session = live.AsyncSession.__new__(live.AsyncSession)
    session._ws = _CapturingSocket()
    session._api_client = SimpleNamespace(vertexai=vertex)
    return session


@pytest.mark.parametrize("vertex", [False, True], ids=["developer", "vertex"])
@pytest.mark.parametrize("size", [0, 2, 638, 640, 1280])
async def test_an_audio_frame_is_sent_exactly_as_the_sdk_sends_it(vertex: bool, size: int) -> None:
    from voicecli.live.connection import AUDIO_MIME, audio_message, send_one

    pcm = random.Random(size).randbytes(size)  # every byte value: '+' and '/' in standard base64
    sdk = _sdk_session(vertex)
    await sdk.send_realtime_input(audio=types.Blob(data=pcm, mime_type=AUDIO_MIME))
    lean = _sdk_session(vertex)
    await send_one(lean, ev.SendAudio(pcm))
    assert lean._ws.sent == sdk._ws.sent == [audio_message(pcm)]


async def test_the_emulator_receives_the_lean_audio_frames_as_the_sdks(tmp_path: Any) -> None:
    from voicecli.emulator import Emulator
    from voicecli.live.backends import Credentials, make_client
    from voicecli.live.config import TalkSettings, build_live_config, model_for
    from voicecli.live.connection import AUDIO_MIME, send_one
    from voicecli.persona import load_persona

    persona = load_persona("laura")
    settings = TalkSettings(vad="local")
    pcm = [random.Random(i).randbytes(640) for i in range(4)]
    async with Emulator(ca_dir=tmp_path / "ca", speed=0, recognition=False) as emu:
        client = make_client(Credentials("developer", api_key="emulator-key", base_url=emu.base_url,
                                         ca_file=emu.ca_file, offline=True))
        async with client.aio.live.connect(model=model_for(persona, settings),
                                           config=build_live_config(persona, settings)) as session:
            for frame in pcm:
                await send_one(session, ev.SendAudio(frame))
            for frame in pcm:
                await session.send_realtime_input(audio=types.Blob(data=frame, mime_type=AUDIO_MIME))
            for _ in range(500):
                received = [r for r in emu.record if r["dir"] == "in" and "realtime_input" in (r.get("frame") or {})]
                if len(received) >= 2 * len(pcm):
                    break
                await asyncio.sleep(0.01)
    frames = [r["frame"] for r in received]
    assert len(frames) == 2 * len(pcm)
    assert frames[: len(pcm)] == frames[len(pcm):]


# ---- text the model takes, notes, recovery on request, the shared turn tracker --------------------


async def test_typed_text_goes_the_way_the_model_takes_it_and_a_note_is_always_client_content() -> None:
    from voicecli.live.connection import send_one

    for via, expected in (("client_content", "client_content"), ("realtime_input", "realtime_input")):
        session = FakeSession([])
        await send_one(session, ev.SendText("hello"), via)  # type: ignore[arg-type]
        await send_one(session, ev.SendText("[a note]", turn_complete=False), via)  # type: ignore[arg-type]
        (kind, turn), (note_kind, note) = session.sent
        assert kind == expected
        assert turn == ({"text": "hello"} if via == "realtime_input" else
                        {"turns": types.Content(role="user", parts=[types.Part(text="hello")]), "turn_complete": True})
        assert note_kind == "client_content" and note["turn_complete"] is False


def test_a_note_is_numbered_but_never_replayed() -> None:
    from voicecli.live.replay import MessageKind, ReplayBuffer, kind_of

    note = ev.SendText("[The user heard only: 'Hi'.]", turn_complete=False, resend=False)
    nudge = ev.SendText("[Answer now.]", resend=False)
    assert kind_of(note) is kind_of(nudge) is MessageKind.NOTE
    assert kind_of(ev.SendText("a turn")) is MessageKind.TEXT
    buffer = ReplayBuffer(time.monotonic)
    indices = [buffer.append(message) for message in (ev.SendText("a turn"), note, nudge, ev.SendActivityEnd())]
    assert indices == [1, 2, 3, 4]  # numbered like everything else: the service's acks line up
    assert [entry.message for entry in buffer.pending_for_replay()] == [ev.SendText("a turn"), ev.SendActivityEnd()]
    replay = buffer.new_connection()
    assert [entry.message for entry in replay] == [ev.SendText("a turn"), ev.SendActivityEnd()]
    assert [entry.index for entry in replay] == [1, 2]
    assert buffer.dropped_messages == 0  # nothing lost: a note is never to be sent again


def _note_config(configs: list[tuple[str | None, str | None]], handle: str | None,
                 context: str | None) -> types.LiveConnectConfig:
    configs.append((handle, context))
    return types.LiveConnectConfig()


def _handle_frame(handle: str) -> types.LiveServerMessage:
    return types.LiveServerMessage(session_resumption_update=types.LiveServerSessionResumptionUpdate(
        new_handle=handle, resumable=True))


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")


async def test_a_requested_resume_reconnects_with_the_handle_then_sends_the_first_message() -> None:
    configs: list[tuple[str | None, str | None]] = []
    first, second = FakeSession([_handle_frame("h1")]), FakeSession([])
    conn, live, states = connection([first, second])
    conn._config_for = lambda handle, context: _note_config(configs, handle, context)
    task = asyncio.create_task(conn.run())
    await _until(lambda: conn.policy.handles.handle == "h1")
    nudge = ev.SendText("[nudge]", resend=False)
    conn.request_resume(nudge)
    await _until(lambda: bool(second.sent))
    task.cancel()
    assert configs == [(None, None), ("h1", None)]
    assert second.sent[0][0] == "client_content" and second.sent[0][1]["turns"].parts[0].text == "[nudge]"
    assert ev.ConnectionState("reconnecting", "resuming the stalled session") in states


async def test_a_resume_whose_replay_asks_the_turn_again_sends_no_nudge() -> None:
    first, second = FakeSession([_handle_frame("h1")]), FakeSession([])
    conn, live, _ = connection([first, second])
    task = asyncio.create_task(conn.run())
    await _until(lambda: conn.policy.handles.handle == "h1")
    await conn._outgoing.put(ev.SendText("What can you do?"))  # stalled: no update releases it
    await _until(lambda: bool(first.sent))
    conn.request_resume(ev.SendText("[nudge]", resend=False))
    await _until(lambda: bool(second.sent))
    await asyncio.sleep(0.02)
    task.cancel()
    assert [call[1]["turns"].parts[0].text for call in second.sent] == ["What can you do?"]


async def test_a_requested_fresh_session_carries_the_context_and_replays_nothing() -> None:
    configs: list[tuple[str | None, str | None]] = []
    first, second = FakeSession([_handle_frame("h1")]), FakeSession([])
    conn, live, states = connection([first, second])
    conn._config_for = lambda handle, context: _note_config(configs, handle, context)
    task = asyncio.create_task(conn.run())
    await _until(lambda: conn.policy.handles.handle == "h1")
    await conn._outgoing.put(ev.SendText("What can you do?"))
    await _until(lambda: bool(first.sent))
    conn.request_fresh_session("the summary", ev.SendText("[nudge]", resend=False))
    await _until(lambda: bool(second.sent))
    await asyncio.sleep(0.02)
    task.cancel()
    assert configs == [(None, None), (None, "the summary")]
    assert [call[1]["turns"].parts[0].text for call in second.sent] == ["[nudge]"]
    assert any(isinstance(s, ev.Notice) and "new one" in s.text for s in states)


async def test_the_connection_moves_the_conversations_turn_tracker() -> None:
    from voicecli.conversation.turns import TurnTracker

    turns = TurnTracker()
    audio = types.LiveServerMessage(server_content=types.LiveServerContent(model_turn=types.Content(
        role="model", parts=[types.Part(inline_data=types.Blob(data=b"\x00\x00", mime_type="audio/pcm"))])))
    seen: list[bool] = []
    conn, _, _ = connection([FakeSession([audio])], on_event=lambda event: seen.append(turns.replying))
    conn._turns = turns
    task = asyncio.create_task(conn.run())
    await _until(lambda: bool(seen))
    assert seen == [True]  # the tracker said "replying" before the conversation saw the audio
    conn._observe(ev.ServerTurnComplete())
    assert not turns.replying
    task.cancel()
