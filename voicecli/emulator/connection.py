"""One client connection: setup, the read loop, turn taking, the scripted agent, timers and faults."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from voicecli.emulator import protocol as p
from voicecli.emulator.faults import Faults
from voicecli.emulator.options import EmulatorOptions, Route
from voicecli.emulator.records import Recorder
from voicecli.emulator.scenario import FaultSpec, Scenario, ScenarioError, Step
from voicecli.emulator.session import AUDIO_TOKENS_PER_S, PendingCall, Session, SessionStore
from voicecli.emulator.voice import speech_chunks

OUTPUT_RATE = 24_000
VAD_RATE = 16_000
_RATE = re.compile(r"rate=(\d+)")
_UNREGISTERED = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
_MARKERS_WITH_AUTO_VAD = (
    "Request contains an invalid argument. activity_start and activity_end require automatic "
    "activity detection to be disabled."
)


class EmulatorConnection(ServerConnection):
    """A websockets connection that knows its route and can answer pings late (a fault)."""

    route: Route | None = None
    pong_delay_s: float = 0.0
    id_number: int = 0

    def data_received(self, data: bytes) -> None:
        if self.pong_delay_s > 0:
            # Holding the bytes delays everything they carry, pings included, in order.
            self.loop.call_later(self.pong_delay_s, super().data_received, data)
        else:
            super().data_received(data)


@dataclass
class Shared:
    """What every connection of one emulator shares."""

    options: EmulatorOptions
    scenario: Scenario
    store: SessionStore
    recorder: Recorder
    faults: Faults
    synth_lock: asyncio.Lock


def _text_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _pcm_rate(mime: str) -> int:
    found = _RATE.search(mime)
    return int(found.group(1)) if found else VAD_RATE


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
        self._generation: asyncio.Task[None] | None = None
        self._speaking = asyncio.Lock()
        self._closed = False
        self._dropped = False
        self._refusals_left = 0
        self._vad: Any = None
        self._user_audio_s = 0.0  # audio of the current user turn (manual detection)
        self._activity_open = False
        self._turn_response_tokens = 0
        self._turn_prompt_tokens = 0
        self._speech_start_s: float | None = None
        self._resampler: Any = None  # one persistent soxr stream for non-16 kHz input
        self._turn_spoke = False  # the current agent turn has said something (later lines continue it)

    # ---- lifecycle -------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            first = await self.ws.recv()
        except ConnectionClosed:
            return
        self._record_in(first)
        try:
            frame = p.parse_frame(first)
            self.config = p.parse_setup(frame, vertex=self.route.vertex, known_models=self.options.models,
                                        api_version=self.route.api_version,
                                        field_reports=self.options.field_reports)
            self._authorise()
            self.session = self._open_session(self.config)
        except p.ProtocolError as error:
            await self._close(error.code, error.reason)
            return
        self.session.connection = self
        try:
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                self.shared.faults.attach(self)
                await self._send(p.setup_complete(self.session.session_id if self.route.vertex else None))
                if self.config.resumption:
                    await self._send_update(resumable=True)
                self._spawn(self._timers())
                await self._read_loop()
                self._closed = True
                for task in list(self._tasks):
                    task.cancel()
        finally:
            self.shared.faults.detach(self)
            self._release_session()

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

    def _authorise(self) -> None:
        route, valid = self.route, self.options.valid_keys
        if route.vertex and route.bearer:
            return  # bearer tokens were checked at the upgrade
        if not route.api_key:
            raise p.ProtocolError(p.CLOSE_POLICY, _UNREGISTERED)
        if valid is not None and route.api_key not in valid:
            raise p.ProtocolError(p.CLOSE_INVALID, p.REASON_BAD_KEY)

    def _open_session(self, config: p.SessionConfig) -> Session:
        store = self.shared.store
        if not config.handle:
            return store.create(vertex=self.route.vertex, model_id=config.model_id)
        found = store.find(config.handle)
        if found is None or found[0].vertex != self.route.vertex:
            raise p.ProtocolError(p.CLOSE_POLICY, p.REASON_SESSION_NOT_FOUND)
        session, state = found
        if session.connection is not None:
            # The real service refuses a resume while the previous socket is still open.
            if isinstance(session.connection, Connection):
                session.connection.refused_a_resume()
            raise p.ProtocolError(p.CLOSE_INTERNAL, p.REASON_INTERNAL)
        if session.model_id != config.model_id:
            raise p.ProtocolError(p.CLOSE_INVALID, f"{p.REASON_INVALID_ARGUMENT} The model cannot change.")
        if state is not None:
            session.restore(state)
        if self.route.vertex:
            session.session_id = store.create(vertex=True, model_id=config.model_id).session_id
        return session

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        if self._tg is None or self._closed:
            coro.close()
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done  # type: ignore[return-value]
        task = self._tg.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ---- output ----------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
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

    async def _close(self, code: int, reason: str) -> None:
        reason = p.truncate_reason(reason)
        self.shared.recorder.add(self.id, "close", code=code, reason=reason)
        self._closed = True
        with contextlib.suppress(ConnectionClosed):
            await self.ws.close(code, reason)

    def _record_in(self, raw: str | bytes) -> None:
        try:
            frame: Any = p.parse_frame(raw)
        except p.ProtocolError:
            frame = {"unparsed": raw if isinstance(raw, str) else raw.decode("utf-8", "replace")}
        self.shared.recorder.add(self.id, "in", frame, index=self.client_index)

    async def _send_update(self, *, resumable: bool) -> None:
        assert self.config is not None and self.session is not None
        # Legacy updates come only at idle points, so their handles name that moment; a single
        # update per connection ("once", as gemini-3.8-live) names the session itself.
        snapshot = self.options.resumption_updates == "legacy"
        handle = self.shared.store.issue_handle(self.session, snapshot=snapshot) if resumable else ""
        index = self.client_index if self.config.transparent else None
        await self._send(p.resumption_update(handle, resumable, index))

    def _usage(self) -> dict[str, Any]:
        assert self.session is not None
        return p.usage_metadata(prompt=self._turn_prompt_tokens, response=self._turn_response_tokens,
                                vertex=self.route.vertex)

    # ---- fault targets (called by Faults) ---------------------------------------------------

    def drop(self) -> None:
        self.shared.recorder.add(self.id, "drop")
        self._closed = True
        self._dropped = True
        if self.ws.transport is not None:
            self.ws.transport.abort()

    def close_with(self, code: int, reason: str) -> None:
        self._spawn(self._close(code, reason))

    def send_go_away(self, time_left_s: float) -> None:
        self._spawn(self._send(p.go_away(time_left_s)))

    def send_malformed(self) -> None:
        self._spawn(self._send_raw(b"{this is not json"))

    async def _send_raw(self, data: bytes) -> None:
        self.shared.recorder.add(self.id, "out", {"malformed": data.decode()})
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(data)

    async def _apply_faults(self, faults: tuple[FaultSpec, ...], when: str) -> None:
        for fault in faults:
            if fault.when != when:
                continue
            if fault.kind == "drop":
                self.drop()
            elif fault.kind == "close":
                await self._close(fault.code, fault.reason)
            elif fault.kind == "go_away":
                await self._send(p.go_away(fault.value))
            elif fault.kind == "malformed":
                await self._send_raw(b"{this is not json")
            elif fault.kind == "delay_ms":
                self.shared.faults.delay(fault.value)

    async def _timers(self) -> None:
        faults, opts = self.shared.faults, self.options
        events: list[tuple[float, Coroutine[Any, Any, None]]] = []
        if 0 < opts.go_away_lead_s < opts.lifetime_s:
            events.append((opts.lifetime_s - opts.go_away_lead_s, self._send(p.go_away(opts.go_away_lead_s))))
        events.append((opts.lifetime_s, self._close(p.CLOSE_INTERNAL, p.REASON_DEADLINE)))
        if faults.go_away_after_s:
            at, left = faults.go_away_after_s
            events.append((at, self._send(p.go_away(left))))
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

    async def _read_loop(self) -> None:
        drop_after = self.shared.faults.drop_after_client_frames
        try:
            async for raw in self.ws:
                self.client_index += 1
                self._record_in(raw)
                if drop_after is not None and self.client_index >= drop_after:
                    self.drop()
                    return
                try:
                    await self._handle(p.parse_frame(raw))
                except p.ProtocolError as error:
                    await self._close(error.code, error.reason)
                    return
                if self._closed:
                    return
        except ConnectionClosed:
            return

    async def _handle(self, frame: dict[str, Any]) -> None:
        p.check_fields(frame, p.CLIENT_MESSAGE_FIELDS, "")
        if len(frame) != 1:
            raise p.ProtocolError(p.CLOSE_INVALID, f"{p.REASON_INVALID_ARGUMENT} One message per frame.")
        if "client_content" in frame:
            await self._client_content(p.check_fields(frame["client_content"], p.CLIENT_CONTENT_FIELDS,
                                                      "client_content"))
        elif "realtime_input" in frame:
            await self._realtime_input(p.check_fields(frame["realtime_input"], p.REALTIME_FIELDS,
                                                      "realtime_input"))
        elif "tool_response" in frame:
            body = p.check_fields(frame["tool_response"], frozenset({"function_responses"}), "tool_response")
            await self._tool_response(body)
        # context_update is accepted; the scripted agent does not depend on instructions or tools.

    async def _client_content(self, content: dict[str, Any]) -> None:
        assert self.session is not None
        turns = content.get("turns") or []
        if not isinstance(turns, list):
            raise p.ProtocolError(p.CLOSE_INVALID, "Invalid value at 'client_content.turns'")
        texts: list[str] = []
        for turn in turns:
            if not isinstance(turn, dict) or not isinstance(turn.get("parts", []), list):
                raise p.ProtocolError(p.CLOSE_INVALID, "Invalid value at 'client_content.turns'")
            for part in turn.get("parts", []):
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    if turn.get("role", "user") == "user":
                        texts.append(part["text"])
                    else:
                        self.session.add("model", _text_tokens(part["text"]))
                elif isinstance(part, dict) and "inline_data" in part:
                    blob = part["inline_data"] or {}
                    p.decode_b64(blob.get("data", ""), "client_content.turns.parts.inline_data.data")
        if content.get("turn_complete", False):
            await self._barge_in()
            await self._user_turn(" ".join(texts), audio_s=0.0, audio_turn=False)
        elif texts:
            self.session.add("user", _text_tokens(" ".join(texts)))

    async def _realtime_input(self, realtime: dict[str, Any]) -> None:
        assert self.config is not None
        auto = not self.config.vad.disabled
        if ("activity_start" in realtime or "activity_end" in realtime) and auto:
            raise p.ProtocolError(p.CLOSE_INVALID, _MARKERS_WITH_AUTO_VAD)
        blobs = []
        if "audio" in realtime:
            blobs.append((realtime["audio"], "realtime_input.audio"))
        chunks = realtime.get("media_chunks") or []
        if chunks:  # deprecated field: only the first chunk counts
            blobs.append((chunks[0], "realtime_input.media_chunks"))
        if "activity_start" in realtime:
            await self._barge_in()
            self._activity_open, self._user_audio_s = True, 0.0
        for blob, where in blobs:
            if not isinstance(blob, dict):
                raise p.ProtocolError(p.CLOSE_INVALID, f"Invalid value at '{where}'")
            mime = str(blob.get("mime_type", ""))
            data = p.decode_b64(blob.get("data", ""), f"{where}.data")
            if mime.startswith("audio/"):
                await self._audio(data, _pcm_rate(mime))
        if "video" in realtime and self.session is not None:
            self.session.add("user", 258)
        if isinstance(realtime.get("text"), str) and realtime["text"]:
            await self._barge_in()
            await self._user_turn(realtime["text"], audio_s=0.0, audio_turn=False)
        if "activity_end" in realtime and self._activity_open:
            self._activity_open = False
            await self._user_turn("", audio_s=self._user_audio_s, audio_turn=True)
        if realtime.get("audio_stream_end") and auto and self._vad is not None:
            await self._vad_events(self._vad.flush())

    async def _audio(self, pcm: bytes, rate: int) -> None:
        assert self.config is not None and self.session is not None
        seconds = len(pcm) / 2 / rate
        if self.config.vad.disabled:
            if self._activity_open:
                self._user_audio_s += seconds
            return
        if rate != VAD_RATE:
            pcm = self._resample(pcm, rate)
        vad = self._ensure_vad()
        await self._vad_events(vad.push(pcm))
        self.session.vad_clock_s = float(vad.clock_s)

    async def _vad_events(self, events: list[Any]) -> None:
        assert self.config is not None
        for event in events:
            kind = type(event).__name__
            if kind == "SpeechStarted":
                self._speech_start_s = float(event.offset_s)
                if self.config.vad.interrupts:
                    await self._barge_in()
            elif kind == "SpeechEnded":
                await self._vad_ended(float(event.offset_s))

    def _resample(self, pcm: bytes, rate: int) -> bytes:
        import numpy as np
        import soxr

        if self._resampler is None or self._resampler[0] != rate:
            self._resampler = (rate, soxr.ResampleStream(rate, VAD_RATE, 1, dtype="int16"))
        out = self._resampler[1].resample_chunk(np.frombuffer(pcm, dtype=np.int16))
        return bytes(np.asarray(out, dtype=np.int16).tobytes())

    async def _vad_ended(self, end_s: float) -> None:
        start = self._speech_start_s if self._speech_start_s is not None else end_s
        self._speech_start_s = None
        await self._user_turn("", audio_s=max(0.0, end_s - start), audio_turn=True)

    def _ensure_vad(self) -> Any:
        if self._vad is None:
            assert self.config is not None and self.session is not None
            factory = self.options.vad_factory
            if factory is None:
                from voicecli.emulator.vad import ServerVad

                factory = ServerVad
            vad = self.config.vad
            self._vad = factory(start_sensitivity=vad.start_sensitivity, end_sensitivity=vad.end_sensitivity,
                                prefix_padding_ms=vad.prefix_padding_ms,
                                silence_duration_ms=vad.silence_duration_ms, rate=VAD_RATE,
                                clock_s=self.session.vad_clock_s)
        return self._vad

    async def _tool_response(self, body: dict[str, Any]) -> None:
        assert self.session is not None
        responses = body.get("function_responses") or []
        if not isinstance(responses, list):
            raise p.ProtocolError(p.CLOSE_INVALID, "Invalid value at 'tool_response.function_responses'")
        finished_steps: list[Step] = []
        for raw in responses:
            answer = p.check_fields(raw, p.FUNCTION_RESPONSE_FIELDS, "tool_response.function_responses")
            call = self._match_call(answer)
            if call is None:
                continue  # cancelled or unknown ids are ignored, as the service does
            result = answer.get("response") or {}
            self.session.tool_results[call.name] = result
            self.session.add("tool", _text_tokens(str(result)))
            scheduling = str(answer.get("scheduling")
                             or (result.get("scheduling") if isinstance(result, dict) else None)
                             or "WHEN_IDLE").upper()
            if scheduling not in p.SCHEDULING:
                raise p.ProtocolError(p.CLOSE_INVALID, "Invalid value at 'function_responses.scheduling'")
            if call.blocking:
                still_waiting = any(c.blocking and c.step is call.step for c in self.session.pending.values())
                if not still_waiting and not any(step is call.step for step in finished_steps):
                    finished_steps.append(call.step)
            elif scheduling == "INTERRUPT":
                await self._cancel_generation()
                self._start_generation(self._follow_up(call.step, continuing=False))
            elif scheduling == "WHEN_IDLE":
                self._start_generation(self._follow_up(call.step, continuing=False))
        for step in finished_steps:
            self._start_generation(self._follow_up(step, continuing=True))

    def _match_call(self, answer: dict[str, Any]) -> PendingCall | None:
        assert self.session is not None
        call_id = answer.get("id")
        if not call_id:
            if not self.route.vertex:
                raise p.ProtocolError(p.CLOSE_INVALID, f"{p.REASON_INVALID_ARGUMENT} function_responses.id")
            by_name = [c for c in self.session.pending.values() if c.name == answer.get("name")]
            call_id = by_name[0].call_id if by_name else None
        return self.session.pending.pop(str(call_id), None) if call_id else None

    # ---- the agent ---------------------------------------------------------------------------

    def _generating(self) -> bool:
        assert self.session is not None
        running = self._generation is not None and not self._generation.done()
        return running or any(call.blocking for call in self.session.pending.values())

    async def _cancel_generation(self) -> None:
        task, self._generation = self._generation, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _barge_in(self) -> None:
        """User activity while the agent is generating: interrupted, cancel calls, turnComplete."""
        assert self.session is not None
        if not self._generating():
            return
        await self._cancel_generation()
        await self._send(p.server_flag("interrupted"))
        cancelled = list(self.session.pending)
        self.session.pending.clear()
        if cancelled:
            await self._send(p.tool_call_cancellation(cancelled))
        await self._send(p.turn_complete(self._usage()))

    def _start_generation(self, coro: Coroutine[Any, Any, None]) -> None:
        self._generation = self._spawn(coro)

    async def _user_turn(self, text: str, *, audio_s: float, audio_turn: bool) -> None:
        assert self.session is not None and self.config is not None
        session, scenario = self.session, self.shared.scenario
        tokens = round(audio_s * AUDIO_TOKENS_PER_S) if audio_turn else _text_tokens(text)
        session.add("user", tokens, audio_s)
        if self.config.compression:
            assert self.config.target_tokens is not None
            session.compress(self.config.trigger_tokens or 0, self.config.target_tokens)
        elif session.audio_s > self.options.session_audio_limit_s:
            await self._close(p.CLOSE_INTERNAL, p.REASON_DEADLINE)
            return
        if not session.opened and not audio_turn and scenario.opening is not None:
            step = scenario.opening
        elif session.next_step < len(scenario.turns):
            step = scenario.turns[session.next_step]
            session.next_step += 1
        else:
            step = scenario.fallback
        session.opened = True
        heard = f'"{text}"' if text else f"about {audio_s:.1f} seconds of audio"
        self._start_generation(self._run_step(step, heard=heard, audio_s=audio_s, audio_turn=audio_turn))

    async def _run_step(self, step: Step, *, heard: str, audio_s: float, audio_turn: bool) -> None:
        assert self.session is not None and self.config is not None
        async with self._speaking:
            self._turn_response_tokens = 0
            self._turn_prompt_tokens = self.session.context_tokens
            self._turn_spoke = False
            await self._apply_faults(step.faults, "start")
            if audio_turn and self.config.input_transcription:
                await self._send(p.input_transcription(step.user or f"({audio_s:.1f} s of audio)"))
            if self.config.resumption and self.options.resumption_updates == "legacy":
                await self._send_update(resumable=False)
            try:
                done = await self._run_body(step, heard=heard)
            except ScenarioError as error:
                await self._scenario_failed(error)
                return
            if done:
                await self._finish_turn(step)

    async def _follow_up(self, step: Step, *, continuing: bool) -> None:
        """Go on with a step's ``then`` after its tool responses, and complete the turn.

        ``continuing``: the turn already spoke and waited for blocking calls, rather than a turn of
        its own opening for a non-blocking call's result.
        """
        assert self.session is not None
        async with self._speaking:
            self._turn_response_tokens = 0
            self._turn_prompt_tokens = self.session.context_tokens
            # A resumed connection does not know what was said before the drop: a said line counts.
            self._turn_spoke = continuing and (self._turn_spoke or bool(step.say))
            try:
                done = await self._run_then(step)
            except ScenarioError as error:
                await self._scenario_failed(error)
                return
            if done:
                await self._finish_turn(self.shared.scenario.turn_step(step))

    async def _run_body(self, body: Step, *, heard: str | None = None) -> bool:
        """Say a body's line and send its calls; False while blocking calls hold the turn open.

        With no calls the body goes straight on with its ``then``; non-blocking calls complete the
        turn at once and their ``then`` follows each result.
        """
        assert self.session is not None and self.config is not None
        context = {**self.session.tool_results, **({"heard": heard} if heard is not None else {})}
        await self._speak(body.line(context), continuing=self._turn_spoke)
        if not body.tool_calls:
            return await self._run_then(body)
        calls: list[dict[str, Any]] = []
        waits = False
        rendered = [body.call_args(spec, context) for spec in body.tool_calls]  # all or none go out
        for spec, args in zip(body.tool_calls, rendered, strict=True):
            declared = self.config.tool_behaviour.get(spec.name, "BLOCKING") == "BLOCKING"
            blocking = declared if spec.blocking is None else spec.blocking
            waits = waits or blocking
            call_id = self.session.new_call_id()
            self.session.pending[call_id] = PendingCall(call_id, spec.name, blocking, body)
            calls.append({"id": call_id, "name": spec.name, "args": args})
        await self._send(p.tool_call(calls))
        await self._apply_faults(body.faults, "tool_call")
        return not waits

    async def _run_then(self, body: Step) -> bool:
        """Run the branch of ``body.then`` that the latest tool results select (True: turn done)."""
        assert self.session is not None
        branch = body.branch(self.session.tool_results)
        return True if branch is None else await self._run_body(branch)

    async def _scenario_failed(self, error: ScenarioError) -> None:
        """The scenario cannot go on here: end the session with the reason rather than say a broken line.

        1008 is a close the client does not retry, so the reason reaches the user once.
        """
        message = f"scenario {self.shared.scenario.name}: {error}"
        self.shared.recorder.add(self.id, "scenario_error", message=message)
        await self._close(p.CLOSE_POLICY, message)

    async def _finish_turn(self, step: Step) -> None:
        assert self.config is not None
        await self._apply_faults(step.faults, "end")
        await self._send(p.server_flag("generationComplete"))
        await self._send(p.turn_complete(self._usage()))
        if self.config.resumption and self.options.resumption_updates == "legacy":
            await self._send_update(resumable=True)

    async def _speak(self, text: str, *, continuing: bool = False) -> None:
        """Speak ``text``; ``continuing`` says it follows earlier speech of the same turn."""
        assert self.session is not None and self.config is not None
        if not text:
            return
        if continuing:
            text = " " + text  # transcription fragments carry their own spacing
        self._turn_spoke = True
        if self.config.modality == "TEXT":
            await self._send(p.text_chunk(text))
            self._turn_response_tokens += _text_tokens(text)
            self.session.add("model", _text_tokens(text))
            return
        pcm = await self._synthesize(text)
        chunks = speech_chunks(pcm, text, rate=OUTPUT_RATE, chunk_ms=self.options.chunk_ms)
        loop = asyncio.get_running_loop()
        start, sent_s = loop.time(), 0.0
        try:
            for piece, fragment in chunks:
                await self._send(p.audio_chunk(piece, OUTPUT_RATE))
                if fragment and self.config.output_transcription:
                    await self._send(p.output_transcription(fragment))
                sent_s += len(piece) / 2 / OUTPUT_RATE
                if self.options.speed > 0:
                    await asyncio.sleep(max(0.0, start + sent_s / self.options.speed - loop.time()))
                else:
                    await asyncio.sleep(0)  # let barge-in frames in between chunks
        finally:
            # Only what was delivered stays in the history.
            tokens = round(sent_s * AUDIO_TOKENS_PER_S)
            self._turn_response_tokens += tokens
            self.session.add("model", tokens, sent_s)

    async def _synthesize(self, text: str) -> bytes:
        synthesize = self.options.synthesize
        if synthesize is None:
            from voicecli.emulator.voice import synthesize as espeak_synthesize

            def synthesize(line: str) -> bytes:
                return espeak_synthesize(line, rate=OUTPUT_RATE)

        async with self.shared.synth_lock:  # one synthesizer instance: one caller at a time
            return await asyncio.to_thread(synthesize, text)

