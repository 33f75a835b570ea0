"""The one place that owns the Live connection: connect, send, receive, resume, replay.

Outgoing messages arrive on a queue as ``voicecli.events`` values; server frames are translated
into events and handed to a callback. The decisions (when to retry, what to replay, when to
leave after a GoAway) are pure policy in ``backoff``, ``closes``, ``goaway`` and
``resumption``; this module only does the I/O around them. Permanent failures surface as
``AuthError`` (refused key, unknown model) or ``BackendError``.

Only failures of the network or the service are retried: what the SDK raises while connecting,
sending or receiving, when it is a close, a socket error or a frame it cannot read (see
``service_failure``). Anything else, such as an exception from the conversation's own callbacks
(a bug, a log write failing, even one that is an ``OSError``), ends the run at once: it is
announced as an error notice and re-raised unchanged, for the CLI to report as unexpected.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Literal

from google.auth import exceptions as auth_errors
from google.genai import errors as genai_errors
from google.genai import types
from websockets.exceptions import WebSocketException

from voicecli import events as ev
from voicecli.audio.format import INPUT_RATE
from voicecli.conversation.turns import TurnTracker
from voicecli.errors import AuthError, BackendError
from voicecli.live.backoff import Backoff, LingerLadder, lingering_refusal
from voicecli.live.closes import Disposition, classify_close
from voicecli.live.goaway import GoAwayPlan
from voicecli.live.replay import AUDIO_BYTES_PER_S, Buffered, MessageKind
from voicecli.live.resumption import ResumptionPolicy
from voicecli.live.translate import ServerEvent, translate
from voicecli.outgoing import OutgoingQueue

if TYPE_CHECKING:
    from google import genai

AUDIO_MIME = f"audio/pcm;rate={INPUT_RATE}"
# While a goAway is pending, how often to ask whether the conversation is at a safe point: safe
# points are conversation state (a turn ended, a tool call finished, the user stopped speaking)
# that raises no event of its own. The forced point needs no polling: it is a timer.
SAFE_POINT_POLL_S = 0.05
# What the network or the service raises through the SDK: closes (APIError carries the close
# code), refused upgrades and other websockets failures, socket, TLS and timeout errors, and
# Google credentials failing to load or refresh (a refusal ends the run as an AuthError).
_SERVICE_ERRORS: tuple[type[Exception], ...] = (
    genai_errors.APIError, WebSocketException, OSError, auth_errors.GoogleAuthError,
)


# How a typed user turn goes mid-session (live/models.py ``text_input``): client content, or realtime text.
TextVia = Literal["client_content", "realtime_input"]
# Replayed messages that end a user turn: a resumed session that gets one of them again is asked again.
_USER_TURN_KINDS = frozenset({MessageKind.TEXT, MessageKind.ACTIVITY_END, MessageKind.AUDIO_STREAM_END})

_AUDIO_HEAD = '{"realtime_input": {"audio": {"data": "'
_AUDIO_TAIL = f'", "mime_type": "{AUDIO_MIME}"}}}}}}'


def audio_message(pcm: bytes) -> str:
    """The text frame the SDK's ``send_realtime_input(audio=Blob(pcm, AUDIO_MIME))`` sends, character
    for character (the same for both backends: url-safe base64, ``json.dumps`` spacing), built without
    its per-message validation and conversion, which cost ~50 times the encoding (~0.1 ms a frame)."""
    return _AUDIO_HEAD + base64.urlsafe_b64encode(pcm).decode("ascii") + _AUDIO_TAIL


async def send_one(session: genai.live.AsyncSession, message: ev.Outgoing,
                   text_via: TextVia = "client_content") -> None:
    """Send one outgoing message through the SDK (audio frames straight to its websocket).

    A user text turn goes as ``text_via`` says; a note (``turn_complete`` false) is always client
    content, the only way to give the model text it should read and not answer.
    """
    match message:
        case ev.SendAudio(pcm):
            # The hot path, 25-50 times a second. The SDK keeps the connection, the setup and
            # every other message; a session without a websocket (a test double) gets the SDK call.
            socket = getattr(session, "_ws", None)
            if socket is not None:
                await socket.send(audio_message(pcm))
            else:
                await session.send_realtime_input(audio=types.Blob(data=pcm, mime_type=AUDIO_MIME))
        case ev.SendActivityStart():
            await session.send_realtime_input(activity_start=types.ActivityStart())
        case ev.SendActivityEnd():
            await session.send_realtime_input(activity_end=types.ActivityEnd())
        case ev.SendAudioStreamEnd():
            await session.send_realtime_input(audio_stream_end=True)
        case ev.SendText(text, turn_complete=True) if text_via == "realtime_input":
            await session.send_realtime_input(text=text)
        case ev.SendText(text, turn_complete=turn_complete):
            await session.send_client_content(
                turns=types.Content(role="user", parts=[types.Part(text=text)]), turn_complete=turn_complete
            )
        case ev.SendToolResponses(replies):
            await session.send_tool_response(
                function_responses=[
                    types.FunctionResponse(
                        id=reply.call_id,
                        name=reply.name,
                        response=reply.response,
                        scheduling=types.FunctionResponseScheduling(reply.scheduling)
                        if reply.scheduling
                        else None,
                    )
                    for reply in replies
                ]
            )


def describe_failure(error: BaseException) -> tuple[int | None, str]:
    """(close code or HTTP status, reason) for anything the SDK or websockets may raise."""
    if isinstance(error, genai_errors.APIError):
        reason = error.message or str(error)
        return error.code, reason
    status = getattr(getattr(error, "response", None), "status_code", None)
    if status is not None:
        return int(status), f"HTTP {status}"
    received = getattr(error, "rcvd", None)
    if received is not None:
        return int(received.code), str(received.reason)
    return None, str(error) or type(error).__name__


def service_failure(error: BaseException) -> bool:
    """Whether an exception the SDK raised while connecting or sending comes from the network or
    the service (and so may be retried), rather than from a mistake of ours."""
    if isinstance(error, _SERVICE_ERRORS):
        return True
    # The SDK's words for a frame it cannot read (not JSON), even in the reply to the setup.
    return isinstance(error, ValueError) and str(error).startswith("Failed to parse response")


class ServiceFailure(Exception):
    """A failure of the network or the service, wrapped where the SDK raised it; ``error`` is it."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def permanent_error(code: int | None, reason: str) -> Exception | None:
    """The user-facing error for a failure no retry can fix, or None when a reconnect may help."""
    if classify_close(code, reason) is not Disposition.PERMANENT:
        return None
    lowered = reason.lower()
    if code in (401, 403) or any(word in lowered for word in ("api key", "permission", "unauthenticated")):
        return AuthError(f"The Live service refused the credentials: {reason}",
                         hint="check the API key or credentials in your environment")
    if code == 1008 and "not found" in lowered:
        return AuthError(f"The Live service does not know this model: {reason}",
                         hint="pick a Live model with --model")
    return BackendError(f"The Live service refused the session ({code}): {reason}")


class _PlannedReconnect(Exception):
    """Raised inside a connection's task group to leave it: a GoAway safe point, or a stall recovery."""


class LiveConnection:
    """Keeps one conversation connected: resumes after GoAway and drops, replays what was lost.

    ``config_for(handle, context)`` builds the setup for a connection (``context`` is a summary
    of the conversation so far when a session had to be started afresh). ``at_safe_point()``
    says whether reconnecting now would cut nothing (between turns, no blocking call pending).
    """

    def __init__(  # noqa: PLR0917 - the connection's six collaborators, in the order they are used
        self,
        client: genai.Client,
        model: str,
        config_for: Callable[[str | None, str | None], types.LiveConnectConfig],
        outgoing: OutgoingQueue,
        on_event: Callable[[ServerEvent], None],
        on_state: Callable[[object], None],
        *,
        transparent: bool,
        at_safe_point: Callable[[], bool] = lambda: True,
        context_summary: Callable[[], str | None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        backoff: Backoff | None = None,
        ladder: LingerLadder | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        turns: TurnTracker | None = None,
        text_via: TextVia = "client_content",
        on_sent: Callable[[ev.Outgoing], None] = lambda message: None,
    ) -> None:
        self._client = client
        self._model = model
        self._config_for = config_for
        self._outgoing = outgoing
        self._on_event = on_event
        self._on_state = on_state
        self._at_safe_point = at_safe_point
        self._context_summary = context_summary
        self._clock = clock
        self.policy = ResumptionPolicy(clock, transparent=transparent)
        self.backoff = backoff or Backoff(clock, rng or random.Random())
        self.ladder = ladder or LingerLadder()
        self._sleep = sleep
        self.waits: list[tuple[str, float]] = []
        """Every wait before a reconnect, in order: ("linger", s) on the short ladder, ("backoff", s)."""
        # The attempt under way: whether it resumes with a handle, and whether its setup completed.
        self._resuming = False
        self._setup_done = False
        self.connections = 0
        self.frames_sent = 0
        self.frames_replayed = 0
        self._goaway: GoAwayPlan | None = None
        self._goaway_arrived = asyncio.Event()
        # Calls the service cancelled: a reply to one is never sent, nor replayed (until the
        # service asks for that call id again, as a resumed session may).
        self._cancelled_calls: set[str] = set()
        self._fresh_context: str | None = None
        # Whether the agent is replying: the conversation's tracker, shared, so both read one answer.
        self._turns = turns if turns is not None else TurnTracker()
        self._text_via: TextVia = text_via
        self._on_sent = on_sent  # each message sent (not audio, not a replay): the stall guard's input
        # A requested leave (stall recovery): why, and the message to send first on the next connection.
        self._leave_now = asyncio.Event()
        self._leave_reason = ""
        self._after_setup: ev.Outgoing | None = None
        self._evictions_reported = 0
        self._evicted_bytes_reported = 0

    async def run(self) -> None:
        """Connect and keep connected until cancelled; raises only when giving up for good.

        A network or service failure is retried within the backoff budget; any other exception
        (our own code failed) ends the run at once and is re-raised as it is.
        """
        while True:
            self._goaway = None
            own: BaseException | None = None
            try:
                await self._one_connection()
                continue  # a planned reconnect after GoAway: resume at once
            except Exception as error:
                leaves = _leaves(error)
                own = next((leaf for leaf in leaves if not isinstance(leaf, ServiceFailure)), None)
                if own is None:
                    failure = next(leaf.error for leaf in leaves if isinstance(leaf, ServiceFailure))
                    await self._after_service_failure(failure)
            if own is not None:
                # Raised outside the except block, so the traceback is the failure's own.
                self._announce_own_failure(own)
                raise own

    async def _after_service_failure(self, failure: BaseException) -> None:
        """What a network or service failure means: resume, start afresh, wait and retry, or give up."""
        if isinstance(failure, auth_errors.GoogleAuthError) and not isinstance(failure, auth_errors.TransportError):
            self._on_state(ev.ConnectionState("closed", "credentials"))
            raise AuthError(f"The Google credentials could not be used: {failure}",
                            hint="check the application default credentials (gcloud auth "
                                 "application-default login), or set GEMINI_API_KEY") from failure
        code, reason = describe_failure(failure)
        disposition = classify_close(code, reason, after_goaway=self._goaway is not None)
        if disposition is Disposition.PERMANENT:
            self._on_state(ev.ConnectionState("closed", _what(code, reason)))
            raise permanent_error(code, reason) or BackendError(reason) from failure
        if disposition is Disposition.STALE_HANDLE:
            self._start_afresh()
            return
        if disposition is Disposition.EXPECTED_AFTER_GOAWAY:
            return
        if lingering_refusal(code, reason, resuming=self._resuming, during_setup=not self._setup_done):
            # The service still holds the dropped socket: a known state that clears within moments.
            step = self.ladder.next_delay()
            if step is not None:
                self.waits.append(("linger", step))
                self._on_state(ev.ConnectionState("reconnecting", "the service still holds the old connection"))
                await self._sleep(step)
                return
        delay = self.backoff.next_delay()
        if delay is None:
            self._on_state(ev.ConnectionState("closed", _what(code, reason)))
            raise BackendError(
                f"Lost the Live connection and could not get it back after "
                f"{self.backoff.budget} attempts (last: {_what(code, reason)}).",
                hint="check the network; the session log keeps everything said so far",
            ) from failure
        self._on_state(ev.ConnectionState("reconnecting", f"{self.backoff.attempt}/{self.backoff.budget}"))
        self._on_state(ev.Notice(f"connection lost ({_what(code, reason)}); {self.backoff.status_text()}",
                                 "warning"))
        self.waits.append(("backoff", delay))
        await self._sleep(delay)

    def _announce_own_failure(self, error: BaseException) -> None:
        """Our own code failed: say so (the conversation logs error notices) before the run ends.

        The callback that failed may be this very one (a log write failing): then nothing more
        can be said here, and the exception itself still reaches the user.
        """
        text = f"unexpected error, not a connection problem: {type(error).__name__}: {error}"
        with contextlib.suppress(Exception):
            self._on_state(ev.ConnectionState("closed", "unexpected error"))
        with contextlib.suppress(Exception):
            self._on_state(ev.Notice(f"{text}; the conversation ends", "error"))

    # --- leaving on request (the stall guard's recovery steps) --------------------------------

    def request_resume(self, first_message: ev.Outgoing | None = None) -> None:
        """Leave this connection now and resume from the latest handle, as after a GoAway; after setup
        and the replay, send ``first_message`` (a nudge) unless the replay already asks the user's turn
        again. Without a handle there is nothing to resume: a fresh session with the summary instead."""
        if self.policy.handles.handle is None:
            self.request_fresh_session(self._context_summary(), first_message)
            return
        self._after_setup = first_message
        self._leave("resuming the stalled session")

    def request_fresh_session(self, context: str | None, first_message: ev.Outgoing | None = None) -> None:
        """Leave this connection now and start a new session whose instruction carries ``context``;
        send ``first_message`` right after setup. Nothing of the old session is replayed."""
        self.policy.on_stale_handle()
        self._fresh_context = context
        self._after_setup = first_message
        self._on_state(ev.Notice("the session stopped answering: starting a new one with a summary of the "
                                 "conversation so far", "warning"))
        self._leave("a fresh session for the stalled one")

    def _leave(self, reason: str) -> None:
        self._leave_reason = reason
        self._leave_now.set()

    async def _leave_watch(self) -> None:
        await self._leave_now.wait()
        raise _PlannedReconnect

    async def _send_after_setup(self, session: genai.live.AsyncSession, replay: list[Buffered]) -> None:
        """The message a recovery asked to send first on this connection (at most once)."""
        message, self._after_setup = self._after_setup, None
        if message is None or any(item.kind in _USER_TURN_KINDS for item in replay):
            return  # the replay asks the user's turn again: that is the nudge
        self.policy.buffer.append(message)
        await _send(session, message, self._text_via)
        self.frames_sent += 1
        self._on_sent(message)

    def _start_afresh(self) -> None:
        self.policy.on_stale_handle()
        self._fresh_context = self._context_summary()
        self._on_state(ev.Notice("the service no longer knows this session: starting a new one with a "
                                 "summary of the conversation so far", "warning"))

    async def _one_connection(self) -> None:
        handle = self.policy.handles.handle
        config = self._config_for(handle, None if handle else self._fresh_context)
        self._on_state(ev.ConnectionState("connecting" if self.connections == 0 else "resuming"))
        self._goaway_arrived.clear()
        self._leave_now.clear()
        self._resuming, self._setup_done = handle is not None, False
        async with self._connect(config) as session:
            self._setup_done = True
            self.ladder.reset()
            self.connections += 1
            self.backoff.connected()
            self._on_state(ev.ConnectionState("connected", "resumed" if handle else ""))
            replay = self.policy.on_connect()
            self._report_evicted()
            for item in replay:
                await _send(session, item.message, self._text_via)
            self.frames_replayed += len(replay)
            if self._turns.replying:
                # A handle that names an idle moment (or acknowledged frames) brings the turn's
                # input back with the replay; one that names the session has the reply cut for good.
                self._turns.reply_ended()
                self._on_event(ev.ReplyCut(will_repeat=self.policy.transparent or self.policy.refreshes_handles))
            await self._send_after_setup(session, replay)
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._send_loop(session))
                    group.create_task(self._receive_loop(session))
                    group.create_task(self._goaway_watch())
                    group.create_task(self._leave_watch())
            except* _PlannedReconnect:
                reason = self._leave_reason if self._leave_now.is_set() else "GoAway"
                self._on_state(ev.ConnectionState("reconnecting", reason))

    @contextlib.asynccontextmanager
    async def _connect(self, config: types.LiveConnectConfig) -> AsyncIterator[genai.live.AsyncSession]:
        """The SDK's connect; a failure to connect that is the network's or the service's is marked so."""
        async with contextlib.AsyncExitStack() as stack:
            try:
                session = await stack.enter_async_context(
                    self._client.aio.live.connect(model=self._model, config=config))
            except Exception as error:
                if service_failure(error):
                    raise ServiceFailure(error) from error
                raise
            yield session

    def _report_evicted(self) -> None:
        """Say so when the replay buffer had to let go of messages the service may not have had."""
        dropped = self.policy.buffer.dropped_messages
        if dropped > self._evictions_reported:
            seconds = (self.policy.buffer.dropped_bytes - self._evicted_bytes_reported) / AUDIO_BYTES_PER_S
            self._on_state(ev.Notice(f"{dropped - self._evictions_reported} messages (about {seconds:.1f} s "
                                     "of audio) were too old to send again after the reconnect", "warning"))
            self._evictions_reported = dropped
            self._evicted_bytes_reported = self.policy.buffer.dropped_bytes

    async def _send_loop(self, session: genai.live.AsyncSession) -> None:
        while True:
            message = self._without_cancelled_replies(await self._outgoing.get())
            if message is None:
                continue
            # Buffered before sending: if the send fails, the replay delivers it.
            self.policy.buffer.append(message)
            await _send(session, message, self._text_via)
            self.frames_sent += 1
            if not isinstance(message, ev.SendAudio):
                self._on_sent(message)

    def _without_cancelled_replies(self, message: ev.Outgoing) -> ev.Outgoing | None:
        """The message, less any reply to a call the service cancelled (None when nothing is left)."""
        if not isinstance(message, ev.SendToolResponses) or not self._cancelled_calls:
            return message
        replies = tuple(reply for reply in message.replies if reply.call_id not in self._cancelled_calls)
        return ev.SendToolResponses(replies) if replies else None

    async def _receive_loop(self, session: genai.live.AsyncSession) -> None:
        # The SDK's receive() ends after each turn_complete; keep re-entering it.
        while True:
            frames = session.receive()
            while (message := await _next_frame(frames)) is not None:
                for event in translate(message):
                    self._observe(event)
                    self._on_event(event)

    def _observe(self, event: ServerEvent) -> None:
        if isinstance(event, ev.ToolCallsRequested):
            # A resumed session may ask again for a call cancelled before: answer it then.
            self._cancelled_calls.difference_update(call.call_id for call in event.calls)
        match event:
            case ev.ResumptionUpdate(handle, resumable, index):
                self.policy.on_update(handle, resumable, index)
            case ev.ServerTurnComplete():
                self._turns.reply_ended()
                self.policy.on_turn_complete()
            case ev.AgentAudio() | ev.ToolCallsRequested() | ev.Transcript(role="agent"):
                if self._turns.reply_started():
                    self.policy.on_reply_started()
            case ev.ToolCallsCancelled(call_ids):
                # An answer already sent but not yet acknowledged must not be replayed after a
                # drop; one not sent yet is held back by the send loop.
                self._cancelled_calls.update(call_ids)
                self.policy.buffer.withdraw_calls(call_ids)
            case ev.GoAwayNotice(time_left):
                self._goaway = GoAwayPlan(time_left, self._clock)
                self._goaway_arrived.set()

    async def _goaway_watch(self) -> None:
        """Leave at the first safe point after a goAway, or at its forced point whatever is going on.

        A task of its own: the receive loop may be busy with a long reply, so it cannot be what
        notices the deadline. It sleeps until a goAway arrives. Then it sleeps until the forced
        point (``seconds_until_forced()``), waking every ``SAFE_POINT_POLL_S`` meanwhile to ask
        whether the conversation is at a safe point, which is state and raises no event. Without a
        resumption handle there is nothing to resume with: it waits for one (or for the close).
        """
        await self._goaway_arrived.wait()
        while True:
            plan = self._goaway
            assert plan is not None
            if self.policy.handles.handle is not None and plan.should_reconnect_now(self._at_safe_point()):
                raise _PlannedReconnect
            until_forced = plan.seconds_until_forced()
            await asyncio.sleep(until_forced if 0 < until_forced < SAFE_POINT_POLL_S else SAFE_POINT_POLL_S)


def _what(code: int | None, reason: str) -> str:
    """A failure in a few words: the close code (if any) and the start of the reason."""
    reason = reason if len(reason) <= 100 else reason[:99] + "…"
    return f"{code} {reason}" if code is not None else reason


def _leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, in order; the error itself if not a group."""
    if not isinstance(error, BaseExceptionGroup):
        return [error]
    return [leaf for inner in error.exceptions for leaf in _leaves(inner)]


async def _send(session: genai.live.AsyncSession, message: ev.Outgoing, text_via: TextVia) -> None:
    """``send_one``, with a failure that is the network's or the service's marked so."""
    try:
        await send_one(session, message, text_via)
    except Exception as error:
        if service_failure(error):
            raise ServiceFailure(error) from error
        raise


async def _next_frame(frames: AsyncIterator[types.LiveServerMessage]) -> types.LiveServerMessage | None:
    """The next server frame of a turn, None at its end. The SDK only reads the service's frames
    here, so whatever it raises (a close, a frame that is not JSON or not a message) is the service's."""
    try:
        return await anext(frames)
    except StopAsyncIteration:
        return None
    except Exception as error:
        raise ServiceFailure(error) from error
