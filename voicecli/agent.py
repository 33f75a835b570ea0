"""The conversation: one TaskGroup wiring audio, the Live connection, tools and the UI through events.

``Conversation`` knows nothing of the SDK or of sounddevice: it receives translated server
events, pushes ``voicecli.events`` messages to an outgoing queue, plays agent audio into an
``AudioSink``, reports everything a user should see through ``notify`` and writes what
happens to the session log through a ``Recorder`` as it happens. Its parts each do one job
(``voicecli.conversation``): the turn tracker knows whether the agent is replying, the tool
supervisor runs calls (each call id once), the recorder writes (or, without a log, does nothing),
the guards (``voicecli.conversation.guards``) watch for stalls, language drift and cut replies.

A conversation may pass from one agent (persona) to another: a ``transfer_to_*`` call is answered
at once, the reply under way finishes, and ``take_over()`` makes the target the active agent; the
connection side (``voicecli.conversation.assemble``) then ends the Live session and opens the
target's own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from voicecli import events as ev
from voicecli.audio.format import FRAME_BYTES, FRAME_SECONDS, frames_for, output_seconds
from voicecli.conversation import handoff as handoffs
from voicecli.conversation.guards import ConnectionControl, ConversationGuards, GuardCounts
from voicecli.conversation.supervisor import ToolSupervisor
from voicecli.conversation.turns import TurnTracker
from voicecli.errors import ConversationTimeout, ToolFailure, VoicecliError
from voicecli.guards.settings import GuardSettings
from voicecli.outgoing import OutgoingQueue
from voicecli.recorder import Recorder
from voicecli.usage import Tokens, UsageMeter

if TYPE_CHECKING:
    from voicecli.persona import Handoff, Persona
    from voicecli.tools import ToolRuntime
    from voicecli.tools.runtime import ToolOutcome

# Trailing silence after a scripted utterance, so server-side activity detection hears its end.
SCRIPT_TRAILING_SILENCE_S = 0.8
# How long the agent must stay quiet after a turn before a scripted run sends the next one.
SETTLE_S = 0.3
SILENT_FRAME = bytes(FRAME_BYTES)
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
    handoffs: int = 0  # times the conversation passed to another agent
    dropped_frames: int = 0  # microphone frames dropped while the connection was down
    mic_overflows: int = 0  # blocks the microphone delivered faster than they were read
    playback_underflows: int = 0  # times the speaker ran dry and played silence
    latencies: list[float] = field(default_factory=list)
    guards: GuardCounts = field(default_factory=GuardCounts)  # stalls, drifts, heard notes

    def summary(self) -> dict[str, Any]:
        return {
            "duration_s": round(time.monotonic() - self.started_at, 2),
            "turns": self.turns,
            "tools_run": self.tools_run,
            "tool_failures": self.tool_failures,
            "interruptions": self.interruptions,
            "reconnects": self.reconnects,
            "handoffs": self.handoffs,
            "dropped_audio_s": round(self.dropped_frames * FRAME_SECONDS, 2),
            "mic_overflows": self.mic_overflows,
            "playback_underflows": self.playback_underflows,
            "tokens": self.tokens.as_dict(),
            **self.guards.summary(),
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
    frames = [pcm16k[i : i + FRAME_BYTES] for i in range(0, len(pcm16k), FRAME_BYTES)]
    if frames and len(frames[-1]) < FRAME_BYTES:
        frames[-1] = frames[-1] + bytes(FRAME_BYTES - len(frames[-1]))
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


@dataclass
class _PendingHandoff:
    """A transfer the model asked for: answered at once, carried out when the reply under way ends."""

    handoff: Handoff
    target: Persona
    tools: ToolRuntime
    answered_epoch: int  # the transfer's answer went out in this epoch: a turn ending after it ends the reply
    stage: str = "pending"  # pending -> switching (the link moves to the target) -> opening (its first turn)


class Conversation:
    """Runs one conversation over a connection that ``connect`` drives until cancelled."""

    def __init__(
        self,
        *,
        persona: Persona,
        tools: ToolRuntime,
        sink: Sink,
        notify: Callable[[object], None],
        recorder: Recorder | None = None,
        greeting: bool = True,
        clock: Callable[[], float] = time.monotonic,
        guards: GuardSettings | None = None,
        load_target: Callable[[Persona, Handoff], Persona] | None = None,
    ) -> None:
        self.persona = persona  # the active agent
        # How a handoff's target is loaded (talk passes one whose MCP tools are already open).
        self._load_target_persona = load_target
        self.tools = tools
        self.sink = sink
        self.notify = notify
        self.greeting = greeting
        self.clock = clock
        self.stats = ConversationStats(started_at=clock())
        self.recorder = recorder if recorder is not None else Recorder()
        self.recorder.switch_agent(persona.name)
        self.turns = TurnTracker(last_server_activity=clock())
        self.outgoing = OutgoingQueue()
        self.supervisor = ToolSupervisor(
            tools, notify=notify, recorder=self.recorder, send=self._send_tool_reply,
            on_change=self._tools_changed, on_ran=self._tool_ran, self_answered=self._answer_transfer,
        )
        self.switch_due = asyncio.Event()  # set when the link should move to the next agent
        self.seed: str | None = None  # what the active agent's instruction adds (after a handoff)
        self._usage = UsageMeter()
        self._stop_signal: str | None = None  # the signal that is ending the run, if one is
        self._turn_changed = asyncio.Event()
        self._transcript = _Transcriber()
        self._heard_text: str | None = None  # set when the reply was cut: what the user heard of it
        self._history: list[handoffs.Said] = []
        self._typed = ""  # a scripted text turn's words (the service transcribes only audio)
        self._facts = handoffs.Facts()
        self._handoff: _PendingHandoff | None = None
        self._gap_notice_due = True
        self._mic_level: float | None = None  # the level last shown
        self.guards = ConversationGuards(
            guards or GuardSettings(), language=persona.persona.language, send=self._send_now, notify=notify,
            recorder=lambda: self.recorder, summary=self.context_summary, unanswered=self._unanswered, clock=clock,
        )
        self.stats.guards = self.guards.counts

    # --- running -------------------------------------------------------------------------

    async def run(
        self,
        connect: Callable[[Conversation], Coroutine[Any, Any, None]],
        driver: Callable[[], Awaitable[None]],
    ) -> None:
        """Run ``connect`` (the Live connection) and ``driver`` (mic or script) together.

        Returns when the driver finishes; the connection is cancelled then.
        """
        self.notify(ev.AgentChanged(self.persona.name))
        try:
            async with asyncio.TaskGroup() as group:
                self.supervisor.attach(group)
                self.guards.start(group)
                link = group.create_task(connect(self))
                if self.greeting and self.persona.greeting is not None:
                    from voicecli.persona.instructions import greeting_prompt

                    await self.outgoing.put(ev.SendText(greeting_prompt(self.persona)))
                try:
                    await driver()
                finally:
                    link.cancel()
                    self.supervisor.cancel_all()
                    self.guards.stop()
        finally:
            self._record_how_it_stopped()

    def stopping_on(self, signal_name: str) -> None:
        """A signal is ending the run: the log says so when the run stops."""
        self._stop_signal = signal_name

    def _record_how_it_stopped(self) -> None:
        """The run is over: a reply still under way was cut, calls still running were cancelled."""
        if self.turns.replying and self._heard_text is None and self._transcript.agent:
            heard_s = self.sink.flush()
            self._heard_text = heard_part(self._transcript.agent, heard_s, self.turns.received_audio_s)
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
                epoch = self.turns.next_epoch()
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
        turns = self.turns
        async for frame in frames:
            if max_turns is not None and self.stats.turns >= max_turns:
                await self.sink.drain()
                return
            dbfs = level()
            if dbfs != self._mic_level:  # the level changes at most 10 times a second
                self._mic_level = dbfs
                self.notify(ev.MicLevel(dbfs))
            if gate is None:
                # With server-side detection the client only knows when it last heard the user.
                now = self.clock()
                if dbfs > SPEECH_LEVEL_DBFS and not turns.replying:
                    turns.user_stopped_speaking(now)
                ended_at = turns.user_speech_ended_at
                speaking = ended_at is not None and now - ended_at < SPEECH_HANGOVER_S
                if speaking != turns.user_speaking:
                    self.notify(ev.UserActivity(speaking))  # the status line shows who is speaking
                    self.guards.user_speaking(speaking)
                turns.user_speaking = speaking
            # Held back by the echo guard: send silence, which keeps the stream's clock running.
            outgoing = frame if admit is None or admit(frame) else bytes(len(frame))
            for message in self._frame_messages(outgoing, gate):
                self._offer(message)

    # --- sending ---------------------------------------------------------------------------

    def _send_now(self, message: ev.Outgoing) -> None:
        """Queue a message of the conversation's own (a nudge, a steer, a note): text is never dropped."""
        self.outgoing.offer(message)

    def on_sent(self, message: ev.Outgoing) -> None:
        """The connection sent ``message`` (anything but audio, not a replay): the stall guard's input."""
        self.guards.on_sent(message)

    def attach_connection(self, control: ConnectionControl, model: str) -> None:
        """The link opened a connection for the active agent on ``model``."""
        self.guards.attach(control, model)

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
            self.turns.user_speaking = True
            self.notify(ev.UserActivity(True))
            return ev.SendActivityStart()
        if isinstance(item, ev.ActivityEnd):
            self.turns.user_speaking = False
            self.notify(ev.UserActivity(False))
            self.turns.user_stopped_speaking(self.clock())
            return ev.SendActivityEnd()
        return ev.SendAudio(item)

    def send_text_turn(self, text: str) -> None:
        """A user turn as text (typed, or a scripted line): sent, and remembered for summaries."""
        self.turns.user_stopped_speaking(self.clock())
        self._typed = text  # no transcription comes back for text
        self.outgoing.offer(ev.SendText(text))  # text is never dropped

    async def _send_turn(self, turn: ScriptTurn, *, realtime: bool, gate: ActivityGate | None) -> None:
        if turn.text is not None:
            self.send_text_turn(turn.text)
            return
        silence = [SILENT_FRAME] * frames_for(SCRIPT_TRAILING_SILENCE_S)
        pace = _pacer(realtime)
        if gate is None:
            self.turns.user_speaking = True
            self.notify(ev.UserActivity(True))
            self.guards.user_speaking(True)  # its end is the audioStreamEnd, sent below
        for index, frame in enumerate([*turn.frames, *silence]):
            if index == len(turn.frames) and gate is None:
                self.turns.user_speaking = False
                self.turns.user_stopped_speaking(self.clock())
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
        while not self.turns.replied_since(epoch):  # noqa: ASYNC110 - set by server events
            await asyncio.sleep(0.01)
        await asyncio.sleep(barge_in_s)

    async def _wait_until_idle(self, epoch: int) -> None:
        """Wait for a turn after ``epoch`` to complete and the agent to settle (tools done, quiet,
        no handoff under way: the next agent's first turn is part of the reply)."""
        while True:
            busy = self.supervisor.busy or self._handoff is not None or self.guards.busy
            if self.turns.settled(epoch, self.clock(), quiet_s=SETTLE_S, busy=busy):
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
        self.turns.server_activity(self.clock())
        self.guards.on_server_event(event)
        match event:
            case ev.AgentAudio(pcm):
                self.turns.agent_audio(self.clock(), output_seconds(len(pcm)))
                self.sink.play(pcm)
            case ev.Transcript(role, text, final):
                if role == "agent":
                    self.turns.reply_started()
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
                self.turns.reply_started()
                for call in calls:
                    self.supervisor.start(call)
                self.guards.tools_busy(self.supervisor.busy)
            case ev.ToolCallsCancelled(call_ids):
                for call_id in call_ids:
                    self.supervisor.cancel(call_id)
            case ev.Usage() as usage:
                # A report belongs to the turn under way; voicecli.usage holds the accounting.
                tally = self._usage.report(self.stats.turns + 1, usage)
                self.stats.tokens = tally.session
                self.recorder.usage(tally.turn, tally.turn_tokens)
                self.notify(tally)
            case ev.Grounding(sources, queries):
                self.recorder.event("grounding", {"sources": [{"title": s.title, "uri": s.uri} for s in sources],
                                                  "queries": list(queries)})
                self.notify(event)
            case _:
                self.notify(event)

    def _cut_playback(self) -> tuple[float, str]:
        """Silence the reply now; returns (and remembers for the log) what the user heard of it."""
        heard_s = self.sink.flush()
        heard = heard_part(self._transcript.agent, heard_s, self.turns.received_audio_s)
        self._heard_text = heard
        self.notify(ev.Interrupted(heard_s, heard))
        return heard_s, heard

    def _on_interrupted(self) -> None:
        heard_s, heard = self._cut_playback()
        self.guards.reply_cut(self.stats.turns + 1, heard, "interrupted")
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
            self.guards.reply_cut(self.stats.turns + 1, heard, "dropped")
            self._on_turn_complete()
            return
        self.guards.reply_repeats()
        self.recorder.restart_agent_line()
        self._heard_text = None  # a fresh reply starts over
        self._transcript = _Transcriber()
        self.turns.restart_reply()

    def _on_turn_complete(self) -> None:
        if self._heard_text is None:
            self.sink.end_reply()
        latency = self.turns.complete_turn()
        self.stats.turns += 1
        self.stats.latencies = self.turns.latencies
        self._log_turn()
        self.notify(ev.TurnComplete(self.stats.turns, latency))
        self.guards.turn_ended()
        self._transcript = _Transcriber()
        self._heard_text = None
        if self._handoff is not None and self._handoff.stage == "opening":
            self._handoff = None  # the new agent has spoken: the handoff is complete
        self._maybe_switch()
        self._turn_changed.set()

    def _log_turn(self) -> None:
        # The lines are in the log already (written as they came); remember them for a fresh session.
        user = self._transcript.user or self._typed
        self._typed = ""
        for speaker, text in (("user", user), (self.persona.name, self._transcript.agent)):
            if text:
                self._history.append(handoffs.Said(speaker, text))
        self.recorder.end_turn()

    def on_connection_event(self, event: object) -> None:
        """Connection state changes and notices from the connection owner."""
        self.guards.on_connection(event)
        if isinstance(event, ev.ConnectionState) and event.state == "connected" and event.detail == "resumed":
            self.stats.reconnects += 1
            self._gap_notice_due = True
            self.recorder.event("reconnect", {"resumed": True})
        elif isinstance(event, ev.Notice):
            self.recorder.notice(event.text, event.level)
        self.notify(event)

    def at_safe_point(self) -> bool:
        """Reconnecting now would cut nothing: no reply under way, no blocking call pending, user silent."""
        return not self.turns.replying and not self.supervisor.blocking_pending() and not self.turns.user_speaking

    def context_summary(self) -> str | None:
        """What was said so far, for a new session that could not resume the old one."""
        if not self._history:
            return None
        lines = [f"{'User' if said.speaker == 'user' else 'You' if said.speaker == self.persona.name else said.speaker}"
                 f": {said.text}" for said in self._history[-40:]]
        return ("This conversation was interrupted and is now continuing. Do not greet the user again. "
                "Here is what was said so far:\n" + "\n".join(lines))

    def _unanswered(self) -> str | None:
        """The user's words of the turn under way (none answered yet): for a fresh session's summary."""
        return self._transcript.user or self._typed or None

    def instruction_context(self, context: str | None) -> str | None:
        """What the active agent's system instruction adds: its handoff seed, then ``context``
        (the summary a connection passes when it had to start a fresh session)."""
        parts = [part for part in (self.seed, context) if part]
        return "\n\n".join(parts) if parts else None

    # --- tools -----------------------------------------------------------------------------

    async def _send_tool_reply(self, reply: ev.ToolReply) -> None:
        await self.outgoing.put(ev.SendToolResponses((reply,)))

    def _tools_changed(self) -> None:
        self.guards.tools_busy(self.supervisor.busy)
        self._maybe_switch()
        self._turn_changed.set()

    def _tool_ran(self, outcome: ToolOutcome) -> None:
        self.stats.tools_run += 1
        self.stats.tool_failures += 0 if outcome.ok else 1
        self._facts.observe(outcome.response)

    # --- handoffs --------------------------------------------------------------------------

    def _answer_transfer(self, call: ev.ToolCallEvent) -> dict[str, Any] | None:
        """A ``transfer_to_*`` call is answered here (None: a real tool). The target loads now, so a
        broken one is one clear message and the conversation goes on with the current agent."""
        handoff = self.persona.handoff_for_tool(call.name)
        if handoff is None:
            return None
        if self._handoff is not None:
            return {"error": {"type": "handoff_in_progress",
                              "message": f"already transferring to {self._handoff.target.name}"}}
        try:
            target, tools = self._load_target(handoff)
        except VoicecliError as error:
            text = f"cannot hand off to {handoff.target}: {error.message}"
            self.notify(ev.Notice(text, "error"))
            self.recorder.notice(text, "error")
            return {"error": {"type": "handoff_failed", "message": error.message}}
        self._handoff = _PendingHandoff(handoff, target, tools, answered_epoch=self.turns.epoch)
        return handoffs.transfer_response(target.name)

    def _load_target(self, handoff: Handoff) -> tuple[Persona, ToolRuntime]:
        from voicecli.persona import load_handoff_target
        from voicecli.tools import ToolRuntime

        load = self._load_target_persona or load_handoff_target
        target = load(self.persona, handoff)
        return target, ToolRuntime(target, calls=self.supervisor.calls)

    def _maybe_switch(self) -> None:
        """Once the transferring agent's reply has ended (a turn completed after the transfer's
        answer, nothing running), tell the link to move to the target."""
        pending = self._handoff
        if (pending is None or pending.stage != "pending" or self.supervisor.busy
                or self.turns.replying or self.turns.epoch <= pending.answered_epoch):
            return
        pending.stage = "switching"
        self.switch_due.set()

    def take_over(self) -> None:
        """The link ended the previous agent's session: the target is the active agent from now on.

        Called by the link before it opens the target's session; queues the opening prompt.
        """
        pending = self._handoff
        assert pending is not None and pending.stage == "switching"
        self.switch_due.clear()
        previous = self.persona
        handoff = pending.handoff
        said = handoffs.summary(self._history) if handoff.summary else ""
        facts = self._facts.carried(handoff.facts)
        reason = handoff.when or ""
        self.seed = handoffs.seed_context(from_agent=previous.name, reason=reason, said=said, facts=facts)
        self.persona, self.tools = pending.target, pending.tools
        self.supervisor.switch_to(pending.tools)
        self.guards.switch_agent(self.persona.persona.language)
        self.stats.handoffs += 1
        self.recorder.event("handoff", {"from": previous.name, "to": self.persona.name, "reason": reason,
                                        "facts": facts})
        self.recorder.switch_agent(self.persona.name)
        self.notify(ev.Handoff(previous.name, self.persona.name, reason))
        self.notify(ev.AgentChanged(self.persona.name))
        pending.stage = "opening"
        # Never blocks: text is never dropped, and the link is not sending while it switches.
        self.outgoing.offer(ev.SendText(handoffs.opening_prompt(previous.name, self.persona.name)))
        self._turn_changed.set()


def _pacer(realtime: bool) -> Callable[[], Awaitable[None]]:
    """Sleep so frames go out at real time (one frame each 20 ms), or just yield when running fast."""
    if not realtime:
        return lambda: asyncio.sleep(0)
    start = time.monotonic()
    sent = 0

    async def pace() -> None:
        nonlocal sent
        sent += 1
        delay = start + sent * FRAME_SECONDS - time.monotonic()
        await asyncio.sleep(max(0.0, delay))

    return pace
