"""The turn engine: user turns in, replies out, whichever brain decides what to say and call.

It owns the facts of turn taking: which replies are being generated, which calls are pending and
which of them a turn waits for, what a barge-in cancels, what a function response's scheduling asks
for, and the tokens each turn counts per modality. The brain (``brains.py``) only decides content; the
connection (``Link``) carries frames and applies faults.

A turn: the user's words (typed, or recognised while they spoke) go to the brain; its reply is said,
then its calls go out in one ``toolCall`` frame. Blocking calls hold the turn open until every one
of them is answered, then the brain goes on in the same turn. Non-blocking calls end the turn at
once; each answer then follows its ``scheduling``: INTERRUPT cuts current speech and answers now,
WHEN_IDLE answers after current speech, SILENT only hands the result to the brain.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from voicecli.emulator import drift
from voicecli.emulator import protocol as p
from voicecli.emulator.brains import Brain, BrainFailure, Reply, UserTurn
from voicecli.emulator.faults import Faults
from voicecli.emulator.hearing import SpeechDone
from voicecli.emulator.intake import FunctionResponse, ToolResponse
from voicecli.emulator.options import EmulatorOptions
from voicecli.emulator.recognition import TurnListener
from voicecli.emulator.scenario import FaultSpec
from voicecli.emulator.session import AUDIO_TOKENS_PER_S, PendingCall, Session, text_tokens
from voicecli.emulator.speaking import Speaker


class Link(Protocol):
    """What the engine needs from its connection."""

    async def send(self, message: dict[str, Any]) -> None: ...

    async def send_update(self, *, resumable: bool) -> None: ...

    async def apply_faults(self, faults: tuple[FaultSpec, ...], when: str) -> None: ...

    async def fail(self, code: int, reason: str, *, record: str | None = None) -> None: ...

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Future[None]: ...


@dataclass
class Stalled:
    """Work held back by a stall fault: a user turn to answer, or answered calls to go on from."""

    turn: UserTurn | None = None
    group: Reply | None = None
    answers: list[FunctionResponse] = field(default_factory=list)
    continuing: bool = False


class TurnEngine:
    def __init__(self, link: Link, session: Session, config: p.SessionConfig, options: EmulatorOptions,
                 speaker: Speaker, *, faults: Faults | None = None) -> None:
        self._link = link
        self._session = session
        self._config = config
        self._options = options
        self._speaker = speaker
        self._faults = faults or Faults()
        self._language: str | None = None  # the current reply drifts into this language (a fault)
        self._drifted = False  # some reply on this connection drifted: a language directive is expected
        self._replies: set[asyncio.Future[None]] = set()  # a user turn's reply and follow-ups being generated
        self._speaking = asyncio.Lock()  # one reply speaks at a time; a WHEN_IDLE answer waits its turn
        self._spoke = False  # the current turn has said something: later lines continue it
        self._prompt: dict[str, int] = {}
        self._response: dict[str, int] = {}
        self.user_turns = 0
        self.model_turns = 0  # turns completed by the model on this connection

    @property
    def brain(self) -> Brain:
        brain: Brain = self._session.brain
        return brain

    def generating(self) -> bool:
        """A reply is being generated or spoken, or a blocking call holds a turn open."""
        running = any(not task.done() for task in self._replies)
        return running or any(call.blocking for call in self._session.pending.values())

    # ---- user turns --------------------------------------------------------------------------

    async def text_turn(self, text: str) -> None:
        await self.barge_in()
        if not await self._took_user_turn(text_tokens(text), 0.0, "TEXT"):
            return
        if self._session.stalled is not None:
            self._start(self._recover())  # a nudge: the held-back turn is answered now
        elif self._drifted and drift.is_language_directive(text):
            self._faults.end_drift()
            self._drifted = False
            self._start(self._reply_with(Reply(drift.ACK["en"])))
        else:
            self._start(self._reply_to(UserTurn(text)))

    async def audio_turn(self, done: SpeechDone) -> None:
        if await self._took_user_turn(round(done.audio_s * AUDIO_TOKENS_PER_S), done.audio_s, "AUDIO"):
            self._session.stalled = None  # the user spoke again: that is what gets answered
            self._start(self._reply_to(None, done.listener))
        else:
            done.listener.close()

    async def nudge(self) -> None:
        """Whitespace-only text: frameworks send it after a user turn to make some models answer.

        It is not a user turn and interrupts nothing; only at the very start, before anything was
        said, does it ask for the opening, and after a stall it makes the held-back turn answered.
        """
        if self._session.stalled is not None and not self.generating():
            self._start(self._recover())
        elif self.user_turns == 0 and not self.generating():
            await self.text_turn("")

    async def _recover(self) -> None:
        """Answer what a stall held back, unless this turn stalls too (every turn counts)."""
        stalled = self._session.stalled
        assert stalled is not None
        if stalled.turn is not None:
            await self._reply_to(stalled.turn, recovering=True)
        elif stalled.group is not None:
            await self._follow_up(stalled.group, stalled.answers, continuing=stalled.continuing, recovering=True)

    async def barge_in(self) -> None:
        """User activity while the agent is generating: interrupted, calls cancelled, turnComplete."""
        if not self.generating():
            return
        await self.cancel_replies()
        await self._link.send(p.server_flag("interrupted"))
        cancelled = [call_id for call_id, call in self._session.pending.items() if call.answer is None]
        self._session.pending.clear()
        if cancelled:
            await self._link.send(p.tool_call_cancellation(cancelled))
            self.brain.cancelled(cancelled)
        await self._link.send(p.turn_complete(self._usage()))

    async def cancel_replies(self) -> None:
        tasks, self._replies = list(self._replies), set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _took_user_turn(self, tokens: int, audio_s: float, modality: str) -> bool:
        """Count the turn in the session; False when the session has reached its length limit."""
        session, config = self._session, self._config
        self.user_turns += 1
        session.add("user", tokens, audio_s, modality)
        if config.compression:
            assert config.target_tokens is not None
            session.compress(config.trigger_tokens or 0, config.target_tokens)
        elif session.audio_s > self._options.session_audio_limit_s:
            await self._link.fail(p.CLOSE_INTERNAL, p.REASON_DEADLINE)
            return False
        return True

    async def _reply_to(self, turn: UserTurn | None, listener: TurnListener | None = None, *,
                        recovering: bool = False) -> None:
        try:
            async with self._speaking:
                self._begin(spoke=False)
                stall = self._faults.take_stall("user_turn")
                if self._config.resumption and self._options.resumption_updates == "legacy" and not stall:
                    await self._link.send_update(resumable=False)
                if listener is not None:
                    heard = await listener.heard()  # the last inputTranscription fragment goes out first
                    turn = UserTurn(heard.words, audio=True, notice=heard.notice)
                assert turn is not None
                if stall:
                    await self._stall(Stalled(turn=turn), stall)
                    return
                if recovering:
                    self._session.stalled = None
                self._drift()
                try:
                    reply = self.brain.reply_to(turn)
                except BrainFailure as failure:
                    await self._link.fail(p.CLOSE_POLICY, str(failure), record="scenario_error")
                    return
                await self._run(reply, start=True)
        finally:
            if listener is not None:
                listener.close()  # a barge-in may cancel the turn while it is still being recognised

    # ---- function responses ------------------------------------------------------------------

    async def tool_response(self, message: ToolResponse) -> None:
        session = self._session
        complete: list[tuple[Reply, list[FunctionResponse]]] = []
        for received in message.responses:
            call = self._match(received)
            if call is None:
                continue  # cancelled or unknown ids are ignored, as the service does
            answer = replace(received, id=call.call_id, name=call.name)
            session.add("tool", text_tokens(str(dict(answer.response))))
            group = call.group
            assert isinstance(group, Reply)
            if call.blocking:
                call.answer = answer
                members = [c for c in session.pending.values() if c.blocking and c.group is group]
                if all(c.answer is not None for c in members):
                    for member in members:
                        del session.pending[member.call_id]
                    complete.append((group, [member.answer for member in members]))
                continue
            del session.pending[call.call_id]
            if answer.scheduling == "SILENT":
                self._absorb(group, [answer])
            else:
                if answer.scheduling == "INTERRUPT":
                    await self.cancel_replies()
                self._start(self._follow_up(group, [answer], continuing=False))
        for group, answers in complete:
            self._start(self._follow_up(group, answers, continuing=True))

    def _match(self, answer: FunctionResponse) -> PendingCall | None:
        pending = self._session.pending
        if answer.id is not None:
            call = pending.get(answer.id)
            return call if call is not None and call.answer is None else None
        # Vertex AI may leave the id out: the oldest unanswered call of that name.
        return next((c for c in pending.values() if c.name == answer.name and c.answer is None), None)

    def _absorb(self, group: Reply, answers: list[FunctionResponse]) -> None:
        with contextlib.suppress(BrainFailure):
            self.brain.answered(group, answers, respond=False)

    async def _follow_up(self, group: Reply, answers: list[FunctionResponse], *, continuing: bool,
                         recovering: bool = False) -> None:
        """Go on after answers: in the same turn (``continuing``), or in a turn of its own."""
        async with self._speaking:
            # A resumed connection does not know what was said before the drop: a said line counts.
            spoke = continuing and (self._spoke or bool(group.text))
            stall = self._faults.take_stall("tool_response" if not recovering else "user_turn")
            if stall:
                await self._stall(Stalled(group=group, answers=answers, continuing=continuing), stall)
                return
            if recovering:
                self._session.stalled = None
            self._begin(spoke=spoke)
            if not continuing:
                self._drift()
            try:
                reply = self.brain.answered(group, answers, respond=True)
            except BrainFailure as failure:
                await self._link.fail(p.CLOSE_POLICY, str(failure), record="scenario_error")
                return
            await self._run(reply, start=False)

    async def _reply_with(self, reply: Reply) -> None:
        """A reply the engine itself says (not the brain's): a turn of its own."""
        async with self._speaking:
            self._begin(spoke=False)
            self._language = None
            await self._run(reply, start=True)

    # ---- faults: stall and drift ----------------------------------------------------------------

    async def _stall(self, held: Stalled, variant: str) -> None:
        """Send nothing (socket open, no error), or a bare turnComplete; keep the work for a recovery."""
        self._session.stalled = held
        if variant == "empty_turn_complete":
            await self._link.send(p.turn_complete(None))

    def _drift(self) -> None:
        """Whether the reply about to start drifts into another language (a fault, counted per reply)."""
        self._language = self._faults.take_drift()
        self._drifted = self._drifted or self._language is not None

    # ---- replies -----------------------------------------------------------------------------

    async def _run(self, reply: Reply, *, start: bool) -> None:
        """Say the reply, send its calls, and complete the turn unless a blocking call holds it."""
        link = self._link
        if start:
            await link.apply_faults(reply.faults, "start")
        await self._say(reply.text)
        if reply.grounding is not None:
            await link.send({"serverContent": {"groundingMetadata": reply.grounding}})
        if reply.calls:
            for call in reply.calls:
                self._session.pending[call.id] = PendingCall(call.id, call.name, call.blocking, reply)
            wire = [call.wire() for call in reply.calls]
            await link.send(p.tool_call(wire))
            self._delivered("TEXT", text_tokens(json.dumps(wire)), 0.0)
            await link.apply_faults(reply.faults, "tool_call")
            if reply.waits:
                return
        await link.apply_faults(reply.faults, "end")
        await link.send(p.server_flag("generationComplete"))
        await link.send(p.turn_complete(self._usage()))
        self.model_turns += 1
        if self._config.resumption and self._options.resumption_updates == "legacy":
            await link.send_update(resumable=True)

    async def _say(self, text: str) -> None:
        if not text:
            return
        if self._spoke:
            text = " " + text  # transcription fragments carry their own spacing
        self._spoke = True
        if self._language is not None:
            await self._speaker.say(drift.translate(text, self._language), self._delivered,
                                    voice=drift.VOICES[self._language])
        else:
            await self._speaker.say(text, self._delivered)

    def _delivered(self, modality: str, tokens: int, seconds: float) -> None:
        """Only what was delivered stays in the history."""
        self._response[modality] = self._response.get(modality, 0) + tokens
        self._session.add("model", tokens, seconds, modality)

    def _begin(self, *, spoke: bool) -> None:
        self._spoke = spoke
        self._prompt = self._session.context_by_modality()
        self._response = {}

    def _usage(self) -> dict[str, Any]:
        return p.usage_metadata(prompt=self._prompt, response=self._response, vertex=self._config.vertex)

    def _start(self, coro: Coroutine[Any, Any, None]) -> None:
        task = self._link.spawn(coro)
        self._replies.add(task)
        task.add_done_callback(self._replies.discard)
