"""One client connection: the handshake, the read loop, frames out, timers and faults.

The jobs live elsewhere: ``intake`` reads each frame once, ``handshake`` accepts credentials and opens
(or resumes) the session, ``hearing`` turns user audio into turns, ``engine`` takes turns and replies
through a brain (``brains``), ``speaking`` says the replies. This module wires them to the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode

from voicecli.emulator import intake, wire
from voicecli.emulator import protocol as p
from voicecli.emulator.brains import make_brain
from voicecli.emulator.engine import TurnEngine
from voicecli.emulator.faults import Faults
from voicecli.emulator.handshake import authorise, open_session
from voicecli.emulator.hearing import Hearing, HearingEvent, Pushed, SpeechBegan
from voicecli.emulator.models import model_spec
from voicecli.emulator.options import EmulatorOptions, Route
from voicecli.emulator.pacing import Pacer, ReadyFrame, SpeechCache
from voicecli.emulator.recognition import Recognition, TurnListener, hints_for
from voicecli.emulator.records import Recorder
from voicecli.emulator.scenario import FaultSpec, Scenario
from voicecli.emulator.session import IMAGE_TOKENS, Session, SessionStore, text_tokens
from voicecli.emulator.speaking import Speaker


class EmulatorConnection(ServerConnection):
    """A websockets connection that knows its route and can answer pings late (a fault).

    ``take_now`` (set once the session is open) may consume a complete data frame as it is parsed,
    without queueing it for the read loop: the audio fast path. It is offered a frame only while the
    read loop is idle, waiting for the next message, with nothing queued, so frames keep their order.
    """

    route: Route | None = None
    pong_delay_s: float = 0.0
    id_number: int = 0
    take_now: Callable[[bytes], bool] | None = None

    def data_received(self, data: bytes) -> None:
        if self.pong_delay_s > 0:
            # Holding the bytes delays everything they carry, pings included, in order.
            self.loop.call_later(self.pong_delay_s, super().data_received, data)
            return
        if self.take_now is not None and wire.at_frame_boundary(self.protocol):
            # Whole audio frames go to the fast path without websockets parsing them (see wire.py).
            taken = wire.take_frames(data, self._take_if_idle, self.protocol.max_message_size)
            if taken == len(data):
                return
            data = data[taken:] if taken else data
        super().data_received(data)

    def _take_if_idle(self, payload: bytes) -> bool:
        take = self.take_now
        return take is not None and _reader_idle(self.recv_messages) and take(payload)

    def process_event(self, event: Any) -> None:
        take = self.take_now
        if (take is not None and isinstance(event, WsFrame) and event.fin and event.opcode in _DATA
                and _reader_idle(self.recv_messages) and take(bytes(event.data))):
            return
        super().process_event(event)


_DATA = (Opcode.TEXT, Opcode.BINARY)


def _reader_idle(messages: Any) -> bool:
    """The read loop waits for a message and none is queued (websockets' assembler, checked defensively)."""
    return bool(getattr(messages, "get_in_progress", False)) and len(getattr(messages, "frames", (None,))) == 0


@dataclass
class Shared:
    """What every connection of one emulator shares."""

    options: EmulatorOptions
    scenario: Scenario | None  # None: the generic brain
    store: SessionStore
    recorder: Recorder
    faults: Faults
    synth_lock: asyncio.Lock
    recognition: Recognition
    pacer: Pacer = field(default_factory=Pacer)  # one timer paces every connection's speech
    speech: SpeechCache = field(default_factory=SpeechCache)  # lines encoded once for all connections


class Connection:
    def __init__(self, ws: EmulatorConnection, conn_id: int, shared: Shared) -> None:
        self.ws = ws
        self.id = conn_id
        self.shared = shared
        self.options = shared.options
        assert ws.route is not None
        self.route: Route = ws.route
        self.client_index = 0
        self.config: p.SessionConfig | None = None
        self.session: Session | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._tg: asyncio.TaskGroup | None = None
        self._closed = False
        self._dropped = False
        self._refusals_left = 0
        self._routing: asyncio.Future[None] | None = None  # fast-path audio still being routed
        # User text sent with turn_complete false: context for the turn that a later message completes.
        self._held_user_text: list[str] = []

    # ---- lifecycle -------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            first = await self.ws.recv()
        except ConnectionClosed:
            return
        record, parsed = intake.read_setup(first, vertex=self.route.vertex, known_models=self.options.models,
                                           api_version=self.route.api_version,
                                           field_reports=self.options.field_reports)
        self.shared.recorder.add(self.id, "in", record, index=0)
        try:
            if isinstance(parsed, p.ProtocolError):
                raise parsed
            self.config = parsed
            authorise(self.route, self.options.valid_keys)
            self.session, brain_state = open_session(self.shared.store, parsed, self.route)
        except p.ProtocolError as error:
            await self._close(error.code, error.reason)
            return
        session, config = self.session, self.config
        session.connection = self
        session.brain = make_brain(self.shared.scenario, config, session.new_call_id)
        if brain_state is not None:
            session.brain.restore(brain_state)
        speaker = Speaker(self.send, self.send_encoded, self.options, self.shared.synth_lock,
                          modality=config.modality, transcribe=config.output_transcription,
                          pacer=self.shared.pacer, cache=self.shared.speech)
        self.engine = TurnEngine(self, session, config, self.options, speaker, faults=self.shared.faults)
        self.hearing = Hearing(config.vad, session, self.options, self._listener_factory(config))
        try:
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                self.shared.faults.attach(self)
                await self.send(p.setup_complete(session.session_id if self.route.vertex else None))
                if config.resumption:
                    await self.send_update(resumable=True)
                self.spawn(self._timers())
                self.ws.take_now = self._take_now
                await self._read_loop()
                self._closed = True
                for task in list(self._tasks):
                    task.cancel()
        finally:
            self.ws.take_now = None
            self.hearing.close()
            self.shared.faults.detach(self)
            self._release_session()

    def _listener_factory(self, config: p.SessionConfig) -> Any:
        recognition = self.shared.recognition
        hints = hints_for(config.system_instruction, config.declarations) if recognition.available else []

        async def fragment(text: str, finished: bool) -> None:
            await self.send(p.input_transcription(text, finished))

        send = fragment if config.input_transcription else None

        def listener() -> TurnListener:
            return recognition.listener(hints, send)

        return listener

    def _release_session(self) -> None:
        """Detach from the session, late after a drop if the faults say the service is slow to notice."""
        session = self.session
        if session is None or session.connection is not self:
            return
        if self._dropped and self.shared.faults.linger_refusals > 0:
            self._refusals_left = self.shared.faults.linger_refusals
            return  # released by the resumes it makes the service refuse
        linger = self.shared.faults.linger_after_drop_s if self._dropped else 0.0
        if linger <= 0:
            session.connection = None
            return

        def release() -> None:
            if session.connection is self:
                session.connection = None

        asyncio.get_running_loop().call_later(linger, release)

    def refused_a_resume(self) -> None:
        """A resume was refused because this (dropped) socket still holds the session."""
        self._refusals_left -= 1
        if self._refusals_left <= 0 and self.session is not None and self.session.connection is self:
            self.session.connection = None

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
        if self._tg is None or self._closed:
            coro.close()
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        task = self._tg.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ---- output (the engine's Link) -------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        if self._closed:
            return
        delay = self.shared.faults.frame_delay_s()
        if delay:
            await asyncio.sleep(delay)
        self.shared.recorder.add(self.id, "out", message)
        try:
            await self.ws.send(p.dump(message))
        except ConnectionClosed:
            self._closed = True

    async def send_encoded(self, ready: ReadyFrame) -> None:
        """A message already encoded (shared speech): the same as ``send`` without encoding it again.

        Its WebSocket frame is ready too: written to the transport as is when nothing stands in the way
        (``wire.can_write``), else websockets frames and sends it.
        """
        if self._closed:
            return
        delay = self.shared.faults.frame_delay_s()
        if delay:
            await asyncio.sleep(delay)
        recorder = self.shared.recorder
        if recorder.active:
            recorder.add(self.id, "out", json.loads(ready.payload))
        if wire.can_write(self.ws):
            self.ws.transport.write(ready.frame)
            return
        try:
            await self.ws.send(ready.payload)
        except ConnectionClosed:
            self._closed = True

    async def send_update(self, *, resumable: bool) -> None:
        assert self.config is not None and self.session is not None
        # Legacy updates come only at idle points, so their handles name that moment; a single
        # update per connection ("once", as gemini-3.8-live) names the session itself.
        snapshot = self.options.resumption_updates == "legacy"
        handle = self.shared.store.issue_handle(self.session, snapshot=snapshot) if resumable else ""
        index = self.client_index if self.config.transparent else None
        await self.send(p.resumption_update(handle, resumable, index))

    async def fail(self, code: int, reason: str, *, record: str | None = None) -> None:
        if record:
            self.shared.recorder.add(self.id, record, message=reason)
        await self._close(code, reason)

    async def apply_faults(self, faults: tuple[FaultSpec, ...], when: str) -> None:
        """A scenario step's faults for this moment (start, tool_call or end)."""
        for fault in faults:
            if fault.when != when:
                continue
            if fault.kind == "drop":
                self.drop()
            elif fault.kind == "close":
                await self._close(fault.code, fault.reason)
            elif fault.kind == "go_away":
                await self.send(p.go_away(fault.value))
            elif fault.kind == "malformed":
                await self._send_raw(b"{this is not json")
            elif fault.kind == "delay_ms":
                self.shared.faults.delay(fault.value)

    async def _close(self, code: int, reason: str) -> None:
        reason = p.truncate_reason(reason)
        self.shared.recorder.add(self.id, "close", code=code, reason=reason)
        self._closed = True
        with contextlib.suppress(ConnectionClosed):
            await self.ws.close(code, reason)

    async def _send_raw(self, data: bytes) -> None:
        self.shared.recorder.add(self.id, "out", {"malformed": data.decode()})
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(data)

    # ---- fault targets (called by Faults) ---------------------------------------------------

    def drop(self) -> None:
        self.shared.recorder.add(self.id, "drop")
        self._closed = True
        self._dropped = True
        if self.ws.transport is not None:
            self.ws.transport.abort()

    def close_with(self, code: int, reason: str) -> None:
        self.spawn(self._close(code, reason))

    def send_go_away(self, time_left_s: float) -> None:
        self.spawn(self.send(p.go_away(time_left_s)))

    def send_malformed(self) -> None:
        self.spawn(self._send_raw(b"{this is not json"))

    async def _timers(self) -> None:
        faults, opts = self.shared.faults, self.options
        events: list[tuple[float, Coroutine[Any, Any, None]]] = []
        if 0 < opts.go_away_lead_s < opts.lifetime_s:
            events.append((opts.lifetime_s - opts.go_away_lead_s, self.send(p.go_away(opts.go_away_lead_s))))
        events.append((opts.lifetime_s, self._close(p.CLOSE_INTERNAL, p.REASON_DEADLINE)))
        if faults.go_away_after_s:
            at, left = faults.go_away_after_s
            events.append((at, self.send(p.go_away(left))))
        if faults.close_after_s:
            at, code, reason = faults.close_after_s
            events.append((at, self._close(code, reason)))
        if faults.drop_after_s is not None:
            events.append((faults.drop_after_s, self._drop_async()))
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            for at, action in sorted(events, key=lambda event: event[0]):
                await asyncio.sleep(max(0.0, start + at - loop.time()))
                if self._closed:
                    break
                await action
        finally:
            for _, action in events:
                action.close()  # never-started coroutines

    async def _drop_async(self) -> None:
        self.drop()

    # ---- input -------------------------------------------------------------------------------

    def _take_now(self, raw: bytes) -> bool:
        """The audio fast path, run as the frame is parsed: True when the frame was fully handled.

        Only a frame holding one audio blob, with automatic activity detection and no turn starting,
        ending or being heard, is handled here; anything else goes to the read loop, as do frames
        that arrive while that loop is busy (see ``EmulatorConnection``).
        """
        if self._closed or self._routing is not None or self.hearing.manual:
            return False
        frame = intake.read_audio_frame(raw)
        if frame is None:
            return False
        self.client_index += 1
        if self.shared.recorder.active:
            self.shared.recorder.add(self.id, "in", frame.record, index=self.client_index)
        drop_after = self.shared.faults.drop_after_client_frames
        if drop_after is not None and self.client_index >= drop_after:
            self.drop()
            return True
        pushed = self.hearing.push(frame.chunk)
        if pushed is not None:
            # A turn is under way: the rest needs waiting, done in order before any later frame.
            self._routing = self.spawn(self._route(pushed))
        return True

    async def _route(self, pushed: Pushed) -> None:
        try:
            await self._heard(await self.hearing.route(pushed))
        finally:
            self._routing = None

    async def _read_loop(self) -> None:
        assert self.config is not None
        drop_after = self.shared.faults.drop_after_client_frames
        try:
            async for raw in self.ws:
                if self._routing is not None:
                    await self._routing  # audio taken by the fast path is still being routed
                if self._closed:
                    return
                self.client_index += 1
                frame = intake.read_frame(raw, vertex=self.route.vertex, manual_activity=self.config.vad.disabled)
                if self.shared.recorder.active:
                    text = None if frame.audio_only else intake.text_record(frame.message)
                    extra = {} if text is None else {"text": text}
                    self.shared.recorder.add(self.id, "in", frame.record, index=self.client_index, **extra)
                if drop_after is not None and self.client_index >= drop_after:
                    self.drop()
                    return
                if frame.error is not None:
                    await self._close(frame.error.code, frame.error.reason)
                    return
                message = frame.message
                assert message is not None
                if frame.audio_only and isinstance(message, intake.RealtimeInput) and not self.hearing.manual:
                    # The bulk of all traffic: one audio blob. No coroutine unless a turn is under way.
                    pushed = self.hearing.push(message.audio[0])
                    if pushed is not None:
                        await self._heard(await self.hearing.route(pushed))
                else:
                    await self._dispatch(message)
                if self._closed:
                    return
        except ConnectionClosed:
            return

    async def _dispatch(self, message: intake.ClientMessage) -> None:
        session, engine = self.session, self.engine
        assert session is not None
        match message:
            case intake.ClientContent():
                if await self._refuses_client_content():
                    return
                for text in message.model_texts:
                    session.add("model", text_tokens(text))
                if not message.turn_complete:
                    if message.user_texts and intake.is_note(message.text):
                        session.add("user", text_tokens(message.text))  # context (a heard note): never a turn
                    elif message.user_texts:
                        self._held_user_text.append(message.text)
                    return
                held, self._held_user_text = self._held_user_text, []
                said = " ".join([*held, message.text]).strip()
                if not (message.user_texts or held):
                    await engine.text_turn(message.text)
                elif any(character.isalnum() for character in said):
                    await engine.text_turn(said)  # the whole turn, however many messages it came in
                else:
                    await engine.nudge()  # only whitespace or punctuation
            case intake.RealtimeInput():
                await self._realtime(message)
            case intake.ToolResponse():
                await engine.tool_response(message)
            case intake.ContextUpdate():
                pass  # accepted; the brains keep the setup's instruction and tools

    async def _realtime(self, message: intake.RealtimeInput) -> None:
        assert self.session is not None
        engine, hearing = self.engine, self.hearing
        if message.activity_start:
            await engine.barge_in()
            hearing.activity_start()
        for chunk in message.audio:
            await self._heard(await hearing.audio(chunk))
        if message.video_frames:
            self.session.add("user", IMAGE_TOKENS * message.video_frames, modality="IMAGE")
        if message.text is not None:
            if message.text.strip():
                await engine.text_turn(message.text)
            else:
                await engine.nudge()
        if message.activity_end:
            await self._heard(hearing.activity_end())
        if message.audio_stream_end:
            await self._heard(await hearing.stream_end())

    async def _heard(self, events: list[HearingEvent]) -> None:
        assert self.config is not None and self.session is not None
        for event in events:
            if isinstance(event, SpeechBegan):
                if self.config.vad.interrupts:
                    await self.engine.barge_in()
            else:
                for held in self._held_user_text:  # typed words left incomplete: context of this turn
                    self.session.add("user", text_tokens(held))
                self._held_user_text = []
                await self.engine.audio_turn(event)

    async def _refuses_client_content(self) -> bool:
        """A model that takes client content only as initial history refuses it after the first model turn.

        Read from the model table (``models.py``, column ``client_content_mid_session``), and only with
        ``field_reports``: the documentation and the field disagree (docs/emulator.md).
        """
        assert self.config is not None
        spec = model_spec(self.config.model_id, "vertex" if self.route.vertex else "developer")
        accepted = spec is None or spec.client_content_mid_session
        if accepted or not self.options.field_reports or self.engine.model_turns == 0:
            return False
        await self._close(p.CLOSE_INVALID, p.REASON_INVALID_ARGUMENT)
        return True
