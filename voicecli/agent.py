"""The conversation: one TaskGroup wiring audio, the Live connection, tools and the UI through events.

``Conversation`` knows nothing of the SDK or of sounddevice: it receives translated server
events, pushes ``voicecli.events`` messages to an outgoing queue, plays agent audio into an
``AudioSink``, reports everything a user should see through ``notify`` and writes what
happens to the session log through a ``Recorder`` as it happens.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from voicecli import events as ev
from voicecli.errors import ConversationTimeout, ToolFailure
from voicecli.outgoing import OutgoingQueue
from voicecli.recorder import recorder_for
from voicecli.usage import Tokens, UsageMeter

if TYPE_CHECKING:
    from voicecli.persona import Persona
    from voicecli.store import SessionLog
    from voicecli.store.records import ToolStatus
    from voicecli.tools import ToolRuntime

# Trailing silence after a scripted utterance, so server-side activity detection hears its end.
SCRIPT_TRAILING_SILENCE_S = 0.8
# How long the agent must stay quiet after a turn before a scripted run sends the next one.
SETTLE_S = 0.3
SILENT_FRAME = bytes(ev.FRAME_BYTES)
# Above this a microphone frame counts as the user speaking, for the reply latency figure.
SPEECH_LEVEL_DBFS = -45.0
SPEECH_HANGOVER_S = 0.5


class Sink(Protocol):
    """What the conversation needs from a speaker or a WAV file."""

    def play(self, pcm24k: bytes) -> None: ...
    def end_reply(self) -> None: ...
    def flush(self) -> float: ...
    @property
    def played_seconds(self) -> float: ...
    @property
    def audible(self) -> bool: ...
    @property
    def level_dbfs(self) -> float: ...
    @property
    def underflows(self) -> int: ...
    async def drain(self) -> None: ...


class ActivityGate(Protocol):
    def process(self, frame: bytes) -> list[ev.ActivityStart | ev.ActivityEnd | bytes]: ...
    def flush(self) -> list[ev.ActivityStart | ev.ActivityEnd | bytes]: ...


@dataclass
class ConversationStats:
    started_at: float = field(default_factory=time.monotonic)
    turns: int = 0
    tools_run: int = 0
    tool_failures: int = 0
    interruptions: int = 0
    reconnects: int = 0
    tokens: Tokens = field(default_factory=Tokens)  # the session's figures (voicecli.usage)
    dropped_frames: int = 0  # microphone frames dropped while the connection was down
    mic_overflows: int = 0  # blocks the microphone delivered faster than they were read
    playback_underflows: int = 0  # times the speaker ran dry and played silence
    latencies: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "duration_s": round(time.monotonic() - self.started_at, 2),
            "turns": self.turns,
            "tools_run": self.tools_run,
            "tool_failures": self.tool_failures,
            "interruptions": self.interruptions,
            "reconnects": self.reconnects,
            "dropped_audio_s": round(self.dropped_frames * 0.02, 2),
            "mic_overflows": self.mic_overflows,
            "playback_underflows": self.playback_underflows,
            "tokens": self.tokens.as_dict(),
        }


@dataclass(frozen=True)
class ScriptTurn:
    """One scripted user turn: 16 kHz frames (a WAV file or synthesized speech), or plain text."""

    label: str
    frames: Sequence[bytes] = ()
    text: str | None = None
    pause_s: float = 0.0  # wait this long (after the agent's reply) before speaking
    barge_in_s: float | None = None  # speak this long after the agent starts replying, not after it ends


def split_frames(pcm16k: bytes) -> list[bytes]:
    """Cut PCM16 audio into 640-byte frames, padding the last one with silence."""
    frames = [pcm16k[i : i + ev.FRAME_BYTES] for i in range(0, len(pcm16k), ev.FRAME_BYTES)]
    if frames and len(frames[-1]) < ev.FRAME_BYTES:
        frames[-1] = frames[-1] + bytes(ev.FRAME_BYTES - len(frames[-1]))
    return frames


class _Transcriber:
    """Accumulates transcript fragments into the current user and agent lines."""

    def __init__(self) -> None:
        self.user = ""
        self.agent = ""

    def add(self, role: str, text: str) -> str:
        if role == "user":
            self.user = _join(self.user, text)
            return self.user
        self.agent = _join(self.agent, text)
        return self.agent


def _join(current: str, fragment: str) -> str:
    # Transcription fragments carry their own spacing: joined as they come, they give the text.
    return (current + fragment).lstrip()


def heard_part(text: str, heard_s: float, received_s: float) -> str:
    """The words of ``text`` the user heard, given how much of the received audio was played."""
    if received_s <= 0 or not text:
        return ""
    words = text.split()
    share = max(0.0, min(1.0, heard_s / received_s))
    return " ".join(words[: round(len(words) * share)])


class Conversation:
    """Runs one conversation over a connection that ``connect`` drives until cancelled."""

    def __init__(
        self,
        *,
        persona: Persona,
        tools: ToolRuntime,
        sink: Sink,
        notify: Callable[[object], None],
        log: SessionLog | None = None,
        session_id: str | None = None,
        greeting: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.persona = persona
        self.tools = tools
        self.sink = sink
        self.notify = notify
        self.log = log
        self.session_id = session_id
        self.greeting = greeting
        self.clock = clock
        self.stats = ConversationStats(started_at=clock())
        self.recorder = recorder_for(log, session_id)
        self._usage = UsageMeter()
        self._stop_signal: str | None = None  # the signal that is ending the run, if one is
        self.outgoing = OutgoingQueue()
        self._tool_specs = {tool.name: tool for tool in persona.tools}
        self._tool_tasks: dict[str, tuple[ev.ToolCallEvent, asyncio.Task[None]]] = {}
        self._group: asyncio.TaskGroup | None = None
        self._transcript = _Transcriber()
        self._turn_epoch = 0
        self._turn_changed = asyncio.Event()
        self._in_reply = False
        self._last_server_activity = clock()
        self._received_audio_s = 0.0
        self._user_speech_ended_at: float | None = None
        self._first_audio_at: float | None = None
        self._heard_text: str | None = None  # set when the reply was cut: what the user heard of it
        self._user_speaking = False
        self._history: list[tuple[str, str]] = []
        self._gap_notice_due = True

    # --- running -------------------------------------------------------------------------

    async def run(
        self,
        connect: Callable[[Conversation], Coroutine[Any, Any, None]],
        driver: Callable[[], Awaitable[None]],
    ) -> None:
        """Run ``connect`` (the Live connection) and ``driver`` (mic or script) together.

        Returns when the driver finishes; the connection is cancelled then.
        """
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                link = group.create_task(connect(self))
                if self.greeting and self.persona.greeting is not None:
                    from voicecli.persona.instructions import greeting_prompt

                    await self.outgoing.put(ev.SendText(greeting_prompt(self.persona)))
                try:
                    await driver()
                finally:
                    link.cancel()
                    for _, task in self._tool_tasks.values():
                        task.cancel()
        finally:
            self._record_how_it_stopped()

    def stopping_on(self, signal_name: str) -> None:
        """A signal is ending the run: the log says so when the run stops."""
        self._stop_signal = signal_name

    def _record_how_it_stopped(self) -> None:
        """The run is over: a reply still under way was cut, calls still running were cancelled."""
        if self._in_reply and self._heard_text is None and self._transcript.agent:
            heard_s = self.sink.flush()
            self._heard_text = heard_part(self._transcript.agent, heard_s, self._received_audio_s)
            self.recorder.cut_agent_line(self._heard_text)
        self.recorder.tools_stopped()
        if self._stop_signal is not None:
            self.recorder.event("signal", {"signal": self._stop_signal})

    async def run_script(
        self,
        connect: Callable[[Conversation], Coroutine[Any, Any, None]],
        turns: Sequence[ScriptTurn],
        *,
        realtime: bool,
        gate: ActivityGate | None = None,
        max_turns: int | None = None,
        timeout_s: float | None = None,
    ) -> None:
        """A scripted conversation: greeting, then each turn once the agent has finished replying."""

        async def drive() -> None:
            epoch, reply_due = 0, self.greeting and self.persona.greeting is not None
            for number, turn in enumerate(turns, 1):
                if reply_due:
                    await self._wait_for_agent(epoch, turn.barge_in_s)
                if max_turns is not None and self.stats.turns >= max_turns:
                    reply_due = False
                    break
                await asyncio.sleep(turn.pause_s)
                # A reply this turn cuts off completes first (interrupted); the one to wait for comes after.
                epoch = self._turn_epoch + (1 if self._in_reply else 0)
                self.notify({"type": "script_turn", "turn": number, "label": turn.label})
                await self._send_turn(turn, realtime=realtime, gate=gate)
                reply_due = True
            if reply_due:
                await self._wait_until_idle(epoch)
            await self.sink.drain()

        try:
            async with asyncio.timeout(timeout_s):
                await self.run(connect, drive)
        except TimeoutError as error:
            raise ConversationTimeout(
                f"The conversation did not finish within {timeout_s:g} s.",
                hint="raise --timeout, or check that the agent answers every turn",
            ) from error
        if self.stats.tool_failures:
            raise ToolFailure(f"{self.stats.tool_failures} tool call(s) failed during the conversation.")

    async def pump_microphone(
        self,
        frames: AsyncIterator[bytes],
        *,
        level: Callable[[], float],
        gate: ActivityGate | None = None,
        admit: Callable[[bytes], bool] | None = None,
        max_turns: int | None = None,
    ) -> None:
        """Stream live microphone frames: continuously (server detection) or bracketed by ``gate``.

        Returns after ``max_turns`` agent turns, or when the frames end.
        """
        async for frame in frames:
            if max_turns is not None and self.stats.turns >= max_turns:
                await self.sink.drain()
                return
            dbfs = level()
            self.notify(ev.MicLevel(dbfs))
            if gate is None:
                # With server-side detection the client only knows when it last heard the user.
                now = self.clock()
                if dbfs > SPEECH_LEVEL_DBFS and not self._in_reply:
                    self._user_speech_ended_at = now
                speaking = self._user_speech_ended_at is not None and (
                    now - self._user_speech_ended_at < SPEECH_HANGOVER_S)
                if speaking != self._user_speaking:
                    self.notify(ev.UserActivity(speaking))  # the status line shows who is speaking
                self._user_speaking = speaking
            # Held back by the echo guard: send silence, which keeps the stream's clock running.
            outgoing = frame if admit is None or admit(frame) else SILENT_FRAME
            for message in self._frame_messages(outgoing, gate):
                self._offer(message)

    # --- sending ---------------------------------------------------------------------------

    def _offer(self, message: ev.Outgoing) -> None:
        """Queue a live message without ever blocking the capture path.

        While the connection is down the queue holds what the user says (20 s); past that the
        oldest audio goes, counted and shown once per gap.
        """
        if not self.outgoing.offer(message):
            return
        self.stats.dropped_frames = self.outgoing.dropped_audio
        if self._gap_notice_due:
            self.notify(ev.Notice("still reconnecting: dropping the oldest microphone audio", "warning"))
            self._gap_notice_due = False

    def _frame_messages(self, frame: bytes, gate: ActivityGate | None) -> list[ev.Outgoing]:
        if gate is None:
            return [ev.SendAudio(frame)]
        return [self._gate_message(item) for item in gate.process(frame)]

    def _gate_message(self, item: ev.ActivityStart | ev.ActivityEnd | bytes) -> ev.Outgoing:
        if isinstance(item, ev.ActivityStart):
            self._user_speaking = True
            self.notify(ev.UserActivity(True))
            return ev.SendActivityStart()
        if isinstance(item, ev.ActivityEnd):
            self._user_speaking = False
            self.notify(ev.UserActivity(False))
            self._user_speech_ended_at = self.clock()
            return ev.SendActivityEnd()
        return ev.SendAudio(item)

    async def _send_turn(self, turn: ScriptTurn, *, realtime: bool, gate: ActivityGate | None) -> None:
        if turn.text is not None:
            self._user_speech_ended_at = self.clock()
            await self.outgoing.put(ev.SendText(turn.text))
            return
        silence = [SILENT_FRAME] * round(SCRIPT_TRAILING_SILENCE_S / 0.02)
        pace = _pacer(realtime)
        if gate is None:
            self._user_speaking = True
            self.notify(ev.UserActivity(True))
        for index, frame in enumerate([*turn.frames, *silence]):
            if index == len(turn.frames) and gate is None:
                self._user_speaking = False
                self._user_speech_ended_at = self.clock()
                self.notify(ev.UserActivity(False))
            for message in self._frame_messages(frame, gate):
                await self.outgoing.put(message)
            await pace()
        if gate is not None:
            for item in gate.flush():
                await self.outgoing.put(self._gate_message(item))
        else:
            await self.outgoing.put(ev.SendAudioStreamEnd())

    async def _wait_for_agent(self, epoch: int, barge_in_s: float | None) -> None:
        """Before a scripted turn: wait for the agent to finish, or (a barge-in) to start, replying."""
        if barge_in_s is None:
            await self._wait_until_idle(epoch)
            return
        while not (self._in_reply or self._turn_epoch > epoch):  # noqa: ASYNC110 - set by server events
            await asyncio.sleep(0.01)
        await asyncio.sleep(barge_in_s)

    async def _wait_until_idle(self, epoch: int) -> None:
        """Wait for a turn after ``epoch`` to complete and the agent to settle (tools done, quiet)."""
        while True:
            if (
                self._turn_epoch > epoch
                and not self._in_reply
                and not self._tool_tasks
                and self.clock() - self._last_server_activity >= SETTLE_S
            ):
                return
            self._turn_changed.clear()
            try:
                async with asyncio.timeout(0.05):
                    await self._turn_changed.wait()
            except TimeoutError:
                pass

    # --- receiving -------------------------------------------------------------------------

    def on_server_event(self, event: object) -> None:
        """Handle one translated server event (called from the connection's receive loop)."""
        self._last_server_activity = self.clock()
        match event:
            case ev.AgentAudio(pcm):
                self._on_agent_audio(pcm)
            case ev.Transcript(role, text, final):
                self._in_reply = self._in_reply or role == "agent"
                line = self._transcript.add(role, text)
                self.recorder.line("agent" if role == "agent" else "user", line, self.stats.turns + 1)
                self.notify(ev.Transcript(role, line, final))
            case ev.ServerInterrupted():
                self._on_interrupted()
            case ev.ReplyCut(will_repeat):
                self._on_reply_cut(will_repeat)
            case ev.GenerationComplete():
                self.sink.end_reply()
            case ev.ServerTurnComplete():
                self._on_turn_complete()
            case ev.ToolCallsRequested(calls):
                self._in_reply = True
                for call in calls:
                    self._start_tool(call)
            case ev.ToolCallsCancelled(call_ids):
                for call_id in call_ids:
                    self._cancel_tool(call_id)
            case ev.Usage() as usage:
                # A report belongs to the turn under way; voicecli.usage holds the accounting.
                tally = self._usage.report(self.stats.turns + 1, usage)
                self.stats.tokens = tally.session
                self.recorder.usage(tally.turn, tally.turn_tokens)
                self.notify(tally)
            case _:
                self.notify(event)

    def _on_agent_audio(self, pcm: bytes) -> None:
        self._in_reply = True
        if self._first_audio_at is None:
            self._first_audio_at = self.clock()
        self._received_audio_s += len(pcm) / 2 / ev.OUTPUT_RATE
        self.sink.play(pcm)

    def _cut_playback(self) -> tuple[float, str]:
        """Silence the reply now; returns (and remembers for the log) what the user heard of it."""
        heard_s = self.sink.flush()
        heard = heard_part(self._transcript.agent, heard_s, self._received_audio_s)
        self._heard_text = heard
        self.notify(ev.Interrupted(heard_s, heard))
        return heard_s, heard

    def _on_interrupted(self) -> None:
        heard_s, heard = self._cut_playback()
        self.stats.interruptions += 1
        self.recorder.cut_agent_line(heard)
        self.recorder.event("interrupted", {"heard_seconds": round(heard_s, 3), "heard_text": heard})

    def _on_reply_cut(self, will_repeat: bool) -> None:
        """The connection dropped mid-reply: stop what is playing; the turn is over or starts again."""
        _, heard = self._cut_playback()
        if will_repeat:
            self.notify(ev.Notice("the connection dropped during the reply; the agent answers again"))
        else:
            self.notify(ev.Notice("the connection dropped during the reply; it was cut short", "warning"))
        self.recorder.cut_agent_line(heard)
        self.recorder.event("reply_cut", {"heard_text": heard, "will_repeat": will_repeat})
        if not will_repeat:
            self._on_turn_complete()
            return
        self.recorder.restart_agent_line()
        self._heard_text = None  # a fresh reply starts over
        self._transcript = _Transcriber()
        self._received_audio_s = 0.0
        self._first_audio_at = None
        self._in_reply = False

    def _on_turn_complete(self) -> None:
        if self._heard_text is None:
            self.sink.end_reply()
        latency = None
        if self._user_speech_ended_at is not None and self._first_audio_at is not None:
            latency = max(0.0, self._first_audio_at - self._user_speech_ended_at)
            self.stats.latencies.append(latency)
        self.stats.turns += 1
        self._log_turn()
        self.notify(ev.TurnComplete(self.stats.turns, latency))
        self._transcript = _Transcriber()
        self._received_audio_s = 0.0
        self._first_audio_at = None
        self._user_speech_ended_at = None
        self._heard_text = None
        self._in_reply = False
        self._turn_epoch += 1
        self._turn_changed.set()

    def _log_turn(self) -> None:
        # The lines are in the log already (written as they came); remember them for a fresh session.
        for role, text in (("user", self._transcript.user), ("agent", self._transcript.agent)):
            if text:
                self._history.append((role, text))
        self.recorder.end_turn()

    def on_connection_event(self, event: object) -> None:
        """Connection state changes and notices from the connection owner."""
        if isinstance(event, ev.ConnectionState) and event.state == "connected" and event.detail == "resumed":
            self.stats.reconnects += 1
            self._gap_notice_due = True
            self.recorder.event("reconnect", {"resumed": True})
        elif isinstance(event, ev.Notice):
            self.recorder.event("notice", {"level": event.level, "text": event.text})
        self.notify(event)

    def at_safe_point(self) -> bool:
        """Reconnecting now would cut nothing: no reply under way, no blocking call pending, user silent."""
        blocking_pending = any(
            spec is None or spec.behavior != "non_blocking"
            for spec in (self._tool_specs.get(call.name) for call, _ in self._tool_tasks.values())
        )
        return not self._in_reply and not blocking_pending and not self._user_speaking

    def context_summary(self) -> str | None:
        """What was said so far, for a new session that could not resume the old one."""
        if not self._history:
            return None
        lines = [f"{'User' if role == 'user' else 'You'}: {text}" for role, text in self._history[-40:]]
        return ("This conversation was interrupted and is now continuing. Do not greet the user again. "
                "Here is what was said so far:\n" + "\n".join(lines))

    # --- tools -----------------------------------------------------------------------------

    def _start_tool(self, call: ev.ToolCallEvent) -> None:
        if call.call_id in self._tool_tasks:
            return  # already running: a call id runs at most once
        assert self._group is not None
        self.notify(call)
        if self.tools.outcome_for(call.call_id) is None:  # a call re-issued after it ran is not logged again
            self.recorder.tool_started(call)
        self._tool_tasks[call.call_id] = (call, self._group.create_task(self._run_tool(call)))

    async def _run_tool(self, call: ev.ToolCallEvent) -> None:
        try:
            outcome = await self.tools.run(call.call_id, call.name, call.args)
        except asyncio.CancelledError:
            self.recorder.tool_cancelled(call.call_id)
            raise
        finally:
            self._tool_tasks.pop(call.call_id, None)
            self._turn_changed.set()
        if not outcome.duplicate:
            self.stats.tools_run += 1
            self.stats.tool_failures += 0 if outcome.ok else 1
        self.notify(ev.ToolResultEvent(call.call_id, call.name, outcome.response, outcome.ok,
                                       outcome.seconds))
        if not outcome.duplicate:
            self.recorder.tool_finished(call.call_id, outcome.response, outcome.ok, outcome.seconds,
                                        _tool_status(outcome.ok, outcome.response))
        spec = self._tool_specs.get(call.name)
        scheduling = "WHEN_IDLE" if spec is not None and spec.behavior == "non_blocking" else None
        reply = ev.ToolReply(call.call_id, call.name, outcome.response, scheduling)
        await self.outgoing.put(ev.SendToolResponses((reply,)))

    def _cancel_tool(self, call_id: str) -> None:
        running = self._tool_tasks.pop(call_id, None)
        if running is None:
            return
        call, task = running
        task.cancel()
        self.notify(ev.Notice(f"{call.name} cancelled: the user spoke over the agent"))
        self.recorder.tool_cancelled(call_id)


def _tool_status(ok: bool, response: dict[str, Any]) -> ToolStatus:
    if ok:
        return "done"
    error = response.get("error")
    return "timeout" if isinstance(error, dict) and error.get("type") == "timeout" else "error"


def _pacer(realtime: bool) -> Callable[[], Awaitable[None]]:
    """Sleep so frames go out at real time (20 ms each), or just yield when running fast."""
    if not realtime:
        return lambda: asyncio.sleep(0)
    start = time.monotonic()
    sent = 0

    async def pace() -> None:
        nonlocal sent
        sent += 1
        delay = start + sent * 0.02 - time.monotonic()
        await asyncio.sleep(max(0.0, delay))

    return pace
