"""The one place that owns the Live connection: connect, send, receive, resume, replay.

Outgoing messages arrive on a queue as ``voicecli.events`` values; server frames are translated
into events and handed to a callback. The decisions (when to retry, what to replay, when to
leave after a GoAway) are pure policy in ``backoff``, ``closes``, ``goaway`` and
``resumption``; this module only does the I/O around them. Permanent failures surface as
``AuthError`` (refused key, unknown model) or ``BackendError``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from google.genai import errors as genai_errors
from google.genai import types

from voicecli import events as ev
from voicecli.errors import AuthError, BackendError
from voicecli.live.backoff import Backoff
from voicecli.live.closes import Disposition, classify_close
from voicecli.live.goaway import GoAwayPlan
from voicecli.live.replay import AUDIO_BYTES_PER_S
from voicecli.live.resumption import ResumptionPolicy
from voicecli.live.translate import ServerEvent, translate
from voicecli.outgoing import OutgoingQueue

if TYPE_CHECKING:
    from google import genai

AUDIO_MIME = "audio/pcm;rate=16000"


async def send_one(session: genai.live.AsyncSession, message: ev.Outgoing) -> None:
    """Send one outgoing message through the SDK."""
    match message:
        case ev.SendAudio(pcm):
            await session.send_realtime_input(audio=types.Blob(data=pcm, mime_type=AUDIO_MIME))
        case ev.SendActivityStart():
            await session.send_realtime_input(activity_start=types.ActivityStart())
        case ev.SendActivityEnd():
            await session.send_realtime_input(activity_end=types.ActivityEnd())
        case ev.SendAudioStreamEnd():
            await session.send_realtime_input(audio_stream_end=True)
        case ev.SendText(text):
            await session.send_client_content(
                turns=types.Content(role="user", parts=[types.Part(text=text)]), turn_complete=True
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
    """Raised inside a connection's task group to leave it at a GoAway safe point."""


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
        self.connections = 0
        self.frames_sent = 0
        self.frames_replayed = 0
        self._goaway: GoAwayPlan | None = None
        self._fresh_context: str | None = None
        self._replying = False
        self._evictions_reported = 0
        self._evicted_bytes_reported = 0

    async def run(self) -> None:
        """Connect and keep connected until cancelled; raises only when giving up for good."""
        while True:
            self._goaway = None
            try:
                await self._one_connection()
                continue  # a planned reconnect after GoAway: resume at once
            except Exception as error:
                failure = _leaf(error)
                code, reason = describe_failure(failure)
                disposition = classify_close(code, reason, after_goaway=self._goaway is not None)
                if disposition is Disposition.PERMANENT:
                    self._on_state(ev.ConnectionState("closed", _what(code, reason)))
                    raise permanent_error(code, reason) or BackendError(reason) from failure
                if disposition is Disposition.STALE_HANDLE:
                    self._start_afresh()
                    continue
                if disposition is Disposition.EXPECTED_AFTER_GOAWAY:
                    continue
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
                await asyncio.sleep(delay)

    def _start_afresh(self) -> None:
        self.policy.on_stale_handle()
        self._fresh_context = self._context_summary()
        self._on_state(ev.Notice("the service no longer knows this session: starting a new one with a "
                                 "summary of the conversation so far", "warning"))

    async def _one_connection(self) -> None:
        handle = self.policy.handles.handle
        config = self._config_for(handle, None if handle else self._fresh_context)
        self._on_state(ev.ConnectionState("connecting" if self.connections == 0 else "resuming"))
        async with self._client.aio.live.connect(model=self._model, config=config) as session:
            self.connections += 1
            self.backoff.connected()
            self._on_state(ev.ConnectionState("connected", "resumed" if handle else ""))
            replay = self.policy.on_connect()
            self._report_evicted()
            for item in replay:
                await send_one(session, item.message)
            self.frames_replayed += len(replay)
            if self._replying:
                # A handle that names an idle moment (or acknowledged frames) brings the turn's
                # input back with the replay; one that names the session has the reply cut for good.
                self._replying = False
                self._on_event(ev.ReplyCut(will_repeat=self.policy.transparent or self.policy.refreshes_handles))
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._send_loop(session))
                    group.create_task(self._receive_loop(session))
                    group.create_task(self._goaway_watch())
            except* _PlannedReconnect:
                self._on_state(ev.ConnectionState("reconnecting", "GoAway"))

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
            message = await self._outgoing.get()
            # Buffered before sending: if the send fails, the replay delivers it.
            self.policy.buffer.append(message)
            await send_one(session, message)
            self.frames_sent += 1

    async def _receive_loop(self, session: genai.live.AsyncSession) -> None:
        # The SDK's receive() ends after each turn_complete; keep re-entering it.
        while True:
            async for message in session.receive():
                for event in translate(message):
                    self._observe(event)
                    self._on_event(event)

    def _observe(self, event: ServerEvent) -> None:
        match event:
            case ev.ResumptionUpdate(handle, resumable, index):
                self.policy.on_update(handle, resumable, index)
            case ev.ServerTurnComplete():
                self._replying = False
                self.policy.on_turn_complete()
            case ev.AgentAudio() | ev.ToolCallsRequested() | ev.Transcript(role="agent") if not self._replying:
                self._replying = True
                self.policy.on_reply_started()
            case ev.GoAwayNotice(time_left):
                self._goaway = GoAwayPlan(time_left, self._clock)

    async def _goaway_watch(self) -> None:
        """Leave at the next safe point after a GoAway, or at the forced point: a timer of its own."""
        while True:
            plan = self._goaway
            if plan is not None and self.policy.handles.handle is not None and plan.should_reconnect_now(
                self._at_safe_point()
            ):
                raise _PlannedReconnect
            await asyncio.sleep(0.05)


def _what(code: int | None, reason: str) -> str:
    """A failure in a few words: the close code (if any) and the start of the reason."""
    reason = reason if len(reason) <= 100 else reason[:99] + "…"
    return f"{code} {reason}" if code is not None else reason


def _leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
