"""Assembles one ``talk`` run: backend, emulator, audio ends, tools, log, view; runs it; exit code.

This is where the parts meet. It imports no Typer and no Rich: the CLI hands it a view and
renders whatever it raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from voicecli import events as ev
from voicecli.agent import Conversation, ScriptTurn, split_frames
from voicecli.audio.format import FRAME_BYTES, INPUT_RATE
from voicecli.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, ConversationTimeout, UsageError, VoicecliError
from voicecli.guards.settings import GuardSettings
from voicecli.live.config import TalkSettings, model_for, vad_mode
from voicecli.outgoing import OutgoingQueue
from voicecli.signals import SigtermCancels

if TYPE_CHECKING:
    from voicecli.audio.aec import EchoCanceller
    from voicecli.live.backends import Credentials
    from voicecli.persona import Persona
    from voicecli.recording import ConversationRecording
    from voicecli.terminal import KeyReader
    from voicecli.terminal.ptt import PushToTalkGate


class ViewLike(Protocol):
    def start(self) -> None: ...
    def handle(self, event: object) -> None: ...
    def stop(self) -> None: ...


@dataclass
class TalkRequest:
    persona: Persona
    settings: TalkSettings
    offline: bool = False
    backend_flag: Literal["developer", "vertex"] | None = None
    inputs: list[Path] = field(default_factory=list)
    says: list[str] = field(default_factory=list)
    output: Path | None = None
    realtime: bool = True
    max_turns: int | None = None
    timeout_s: float | None = None
    log_db: Path | None = None
    input_device: str | None = None
    output_device: str | None = None
    echo_guard: bool = False
    greeting: bool = True
    emulator_speed: float = 1.0
    emulator_options: dict[str, Any] = field(default_factory=dict)
    turns: list[ScriptTurn] = field(default_factory=list)  # ready-made turns after inputs and says (voicecli test)
    # Offline: a scenario file scripts the agent; None (or "none") lets the emulator's generic brain answer.
    scenario: Path | Literal["none"] | None = None
    recognition: bool = True  # offline: the emulator recognises the user's audio (when voicecli[offline] is in)
    chunk_ms: int = 20  # live microphone audio per message: 20 (one frame) or 40 (two, with server detection)
    text_only: bool = False  # --text: typed turns only, no microphone
    mute: bool = False  # --mute: no speaker; the agent's words still come as transcripts
    push_to_talk: bool = False  # --ptt: the talk key brackets the user's turns (service detection off)
    record: bool = False  # --record: both sides in one stereo WAV beside the session log
    aec: bool | None = None  # --aec/--no-aec; None: on when installed and the speaker is not a headset
    guards: GuardSettings = field(default_factory=GuardSettings)  # --stall-after, --no-heard-note, --no-drift-guard

    @property
    def scripted(self) -> bool:
        return bool(self.inputs or self.says or self.turns)


@dataclass
class TalkResult:
    exit_code: int
    summary: dict[str, Any]


def scenario_for(persona: Persona) -> Path | None:
    """The emulator scenario shipped beside a persona (``laura.yaml`` -> ``laura.scenario.yaml``).

    Never picked by itself: ``talk --offline`` uses a scenario only when asked (``--scenario``).
    """
    candidate = persona.path.with_name(f"{persona.path.stem}.scenario.yaml")
    return candidate if candidate.exists() else None


async def build_script(request: TalkRequest) -> list[ScriptTurn]:
    """The scripted user turns, in order: every --input WAV, every --say line, then ``request.turns``."""
    turns: list[ScriptTurn] = []
    for path in request.inputs:
        turns.append(ScriptTurn(label=path.name, frames=await _input_frames(path)))
    if request.says:
        from voicecli.speech.tts import synthesize

        for line in request.says:
            turns.append(ScriptTurn(label=line, frames=split_frames(synthesize(line, rate=INPUT_RATE))))
    return [*turns, *request.turns]


async def _input_frames(path: Path) -> list[bytes]:
    """The 16 kHz frames of one ``--input`` WAV; a file that is not one user turn is a usage error."""
    from voicecli.audio import WavSource
    from voicecli.errors import AudioError

    if not await asyncio.to_thread(path.is_file):
        raise UsageError(f"--input {path}: no such file")
    if (await asyncio.to_thread(path.stat)).st_size == 0:
        raise UsageError(f"--input {path}: the file is empty, not a WAV file")
    try:
        async with WavSource(path, realtime=False) as source:
            frames = [frame async for frame in source.frames()]
    except AudioError as error:
        cause = error.__cause__
        reason = str(cause) if cause is not None and str(cause) else "not an uncompressed PCM WAV file"
        raise UsageError(f"--input {path}: {reason}", hint=error.hint) from error
    if not frames:
        raise UsageError(f"--input {path}: the WAV file holds no audio (0 frames)",
                         hint="each --input file is one spoken user turn")
    return frames


@contextlib.asynccontextmanager
async def open_backend(request: TalkRequest, notes: list[str] | None = None) -> AsyncIterator[Credentials]:
    """Credentials for the real service, or for an in-process emulator (a scenario, else its generic brain).

    ``notes`` gets what the emulator says the user should know (speech recognition unavailable).
    """
    from voicecli.live.backends import Credentials, credentials_from_env

    if not request.offline:
        yield credentials_from_env(os.environ, request.backend_flag)
        return
    from voicecli.emulator import Emulator, ScenarioError, load_scenario
    from voicecli.emulator.tls import ensure_tls_files
    from voicecli.paths import data_dir, storage_errors

    try:
        # No scenario: the emulator's own agent (the generic brain) answers.
        scenario = load_scenario(request.scenario) if isinstance(request.scenario, Path) else None
    except ScenarioError as error:  # the user's file
        raise UsageError(str(error), hint="See docs/scenarios.md for the format.") from None
    ca_dir = data_dir() / "emulator-ca"
    with storage_errors(ca_dir, "the offline emulator's TLS certificates"):
        await asyncio.to_thread(ensure_tls_files, ca_dir)
    async with Emulator(
        scenario=scenario,
        ca_dir=ca_dir,
        speed=request.emulator_speed,
        **{"recognition": request.recognition, **request.emulator_options},
    ) as emulator:
        if notes is not None and request.recognition and not emulator.recognition.available:
            notes.append(f"emulator: {emulator.recognition.line}")  # the extra is missing: say so
        if request.inputs or request.says or not request.scripted:
            emulator.warm_up_recognition()  # the user will speak: load the model before the first turn ends
        vertex = request.settings.backend == "vertex"
        yield Credentials(
            "vertex" if vertex else "developer",
            api_key="emulator-key",
            base_url=emulator.base_url,
            ca_file=emulator.ca_file,
            offline=True,
        )


def run_talk(request: TalkRequest, view: ViewLike) -> TalkResult:
    """Run the conversation to its end; returns the exit code and the summary."""
    stats_holder: list[Conversation] = []
    exit_code = 0
    view.start()

    def note_sigterm() -> None:
        for conversation in stats_holder:
            conversation.stopping_on("SIGTERM")

    # SIGTERM cancels the run as Ctrl-C does, so the log and the summary are complete either way.
    sigterm = SigtermCancels(note_sigterm)
    try:
        asyncio.run(sigterm.run(_talk(request, view, stats_holder)))
    except KeyboardInterrupt:
        exit_code = EXIT_INTERRUPTED
    except asyncio.CancelledError:
        if not sigterm.received:
            raise
        exit_code = EXIT_TERMINATED
    except VoicecliError as error:
        view.handle({"type": "error", "message": error.message, "exit_code": error.exit_code})
        view.stop()
        raise
    except Exception as error:  # a failure of our own code: the CLI reports it (exit 1), the view closes
        view.handle({"type": "error", "message": f"unexpected error: {type(error).__name__}: {error}",
                     "exit_code": 1})
        view.stop()
        raise
    view.stop()
    summary: dict[str, Any] = {}
    for conversation in stats_holder:
        summary = {**conversation.stats.summary(), **conversation.recorder.summary_fields()}
    return TalkResult(exit_code, summary)


async def _talk(request: TalkRequest, view: ViewLike, holder: list[Conversation]) -> None:
    from voicecli.conversation.assemble import assemble
    from voicecli.live.backends import make_client
    from voicecli.live.config import setup_notices
    from voicecli.recorder import start_recording
    from voicecli.store import SessionLog
    from voicecli.tools import ToolRuntime
    from voicecli.tools.mcp import mcp_tools

    settings = request.settings
    script = await build_script(request) if request.scripted else []
    emulator_notes: list[str] = []
    mcp_notices: list[str] = []
    async with contextlib.AsyncExitStack() as servers:
        # MCP servers start before anything else, the agent's and then every handoff target's: one that
        # cannot start stops the run before it connects.
        persona = await servers.enter_async_context(mcp_tools(request.persona, mcp_notices))
        targets = HandoffTargets()
        await targets.open(persona, servers, mcp_notices)
        creds = await servers.enter_async_context(open_backend(request, emulator_notes))
        settings = replace(settings, backend=creds.backend)
        model = model_for(persona, settings)
        client = make_client(creds)
        tools = ToolRuntime(persona)
        # The sink opens first: if the speaker cannot, nothing was said and nothing is logged.
        async with _sink(request) as sink:
            with SessionLog.open(request.log_db) as log, contextlib.ExitStack() as stack:
                recorder = start_recording(log, persona.name, creds.describe(), model,
                                           meta={"offline": request.offline, "vad": vad_mode(persona, settings)})
                view.handle({"type": "session", "id": recorder.session_id, "persona": persona.name,
                             "backend": creds.describe(), "model": model})
                for text in [*emulator_notes, *mcp_notices, *setup_notices(persona, settings)]:
                    recorder.notice(text, "warning")
                    view.handle(ev.Notice(text, "warning"))
                outgoing = OutgoingQueue()
                if request.record:
                    recording = stack.enter_context(_recording(log.path, recorder.session_id or "session"))
                    recorder.event("recording", {"file": recording.path.name, "started_at": recording.started_at})
                    outgoing = UserAudioTap(recording.user)
                    sink.add_first(_recording_sink(recording))
                conversation, link = assemble(persona=persona, settings=settings, client=client, sink=sink,
                                              notify=view.handle, tools=tools, recorder=recorder,
                                              greeting=request.greeting, outgoing=outgoing, guards=request.guards,
                                              load_target=targets.load)
                holder.append(conversation)
                await _converse(request, script, conversation, link.run, view)


class HandoffTargets:
    """Every agent a conversation may hand over to, loaded with its MCP servers' tools before it starts.

    A target's MCP sessions must be open before its agent takes over (the transfer is answered at
    once, and the target's setup declares those tools), and they live as long as the conversation:
    so they open here, all at start-up, each persona file once, and close with ``stack``.
    ``load(persona, handoff)`` then gives the ready target, the way ``load_handoff_target`` would.
    """

    def __init__(self) -> None:
        self._ready: dict[Path, Persona] = {}

    async def open(self, start: Persona, stack: contextlib.AsyncExitStack, notices: list[str]) -> None:
        from voicecli.errors import PersonaError
        from voicecli.persona import load_handoff_target
        from voicecli.tools.mcp import mcp_tools

        seen = {start.path.resolve()}
        waiting = [start]
        while waiting:
            persona = waiting.pop()
            for handoff in persona.handoffs:
                try:
                    target = load_handoff_target(persona, handoff)
                except PersonaError:
                    continue  # the transfer will say so, in one message, when it is asked for
                key = target.path.resolve()
                if key in seen:
                    continue
                seen.add(key)
                if target.mcp_servers:
                    self._ready[key] = await stack.enter_async_context(mcp_tools(target, notices))
                waiting.append(target)

    def load(self, persona: Persona, handoff: Any) -> Persona:
        from voicecli.persona import load_handoff_target

        target = load_handoff_target(persona, handoff)
        return self._ready.get(target.path.resolve(), target)


@contextlib.contextmanager
def _recording(log_path: Path, session_id: str) -> Iterator[ConversationRecording]:
    """The session's stereo recording (``recordings/<id>.wav`` beside the log), closed however the run ends."""
    from voicecli.paths import storage_errors
    from voicecli.recording import ConversationRecording, recording_path

    path = recording_path(log_path, session_id)
    with storage_errors(path.parent, "the conversation's recording"):
        recording = ConversationRecording(path).open()
    try:
        yield recording
    finally:
        recording.close()


def _recording_sink(recording: ConversationRecording) -> Any:
    from voicecli.recording import RecordingSink

    return RecordingSink(recording)


class UserAudioTap(OutgoingQueue):
    """The outgoing queue, handing every user audio frame to ``on_audio`` as it is queued: the moment
    the user said it, whether the connection sends it at once or after a reconnect."""

    def __init__(self, on_audio: Callable[[bytes], None]) -> None:
        super().__init__()
        self._on_audio = on_audio

    def offer(self, message: ev.Outgoing) -> bool:
        if isinstance(message, ev.SendAudio):
            self._on_audio(message.pcm)
        return super().offer(message)

    async def put(self, message: ev.Outgoing) -> None:
        if isinstance(message, ev.SendAudio):
            self._on_audio(message.pcm)
        await super().put(message)


async def _converse(request: TalkRequest, script: list[ScriptTurn], conversation: Conversation,
                    connect: Callable[[Conversation], Coroutine[Any, Any, None]], view: ViewLike) -> None:
    """Run the conversation, and record how it ended whatever happens."""
    persona, settings = request.persona, request.settings
    aec_wanted = request.aec is not False and not request.scripted and not request.text_only
    canceller = _echo_canceller(request, conversation.sink) if aec_wanted else None
    # Said in the log either way (at the end, with what it did): the default depends on the extra and
    # on the speaker's name.
    echo_logged = aec_wanted and getattr(conversation.sink, "speaker", None) is not None
    gate: Any = None
    if request.push_to_talk:
        from voicecli.terminal.ptt import PushToTalkGate

        gate = PushToTalkGate()
    elif vad_mode(persona, settings) == "local":
        gate = _local_gate(canceller is not None)
    outcome = "error"
    try:
        if request.scripted:
            await conversation.run_script(connect, script, realtime=request.realtime, gate=gate,
                                          max_turns=request.max_turns, timeout_s=request.timeout_s)
        else:
            await _talk_live(request, conversation, connect, gate, canceller=canceller, view=view)
        outcome = "completed"
    except asyncio.CancelledError:
        outcome = "interrupted"
        raise
    except BaseExceptionGroup as group:
        first = _first_error(group)
        outcome = type(first).__name__
        raise first from None
    except VoicecliError as error:
        outcome = type(error).__name__
        raise
    finally:
        if echo_logged:
            conversation.recorder.event("echo_cancellation", _echo_figures(canceller))
        summary = conversation.stats.summary()
        conversation.recorder.end(outcome, summary)
        view.handle({"type": "summary", **conversation.recorder.summary_fields(), "outcome": outcome, **summary})


def _echo_figures(canceller: EchoCanceller | None) -> dict[str, Any]:
    if canceller is None:
        return {"on": False}
    return {"on": True, "frames_cleaned": canceller.frames, "reference_s": round(canceller.reference_seconds, 2),
            "delay_s": canceller.delay_estimate_s}


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error that ended a task group, preferring one meant for the user."""
    leaves: list[BaseException] = []
    stack: list[BaseException] = [group]
    while stack:
        item = stack.pop()
        if isinstance(item, BaseExceptionGroup):
            stack.extend(reversed(item.exceptions))
        else:
            leaves.append(item)
    for leaf in leaves:
        if isinstance(leaf, VoicecliError):
            return leaf
    return leaves[0]


async def _talk_live(request: TalkRequest, conversation: Conversation,
                     connect: Callable[[Conversation], Coroutine[Any, Any, None]], gate: Any, *,
                     canceller: EchoCanceller | None, view: ViewLike) -> None:
    """A live conversation: the microphone (unless --text) and typed lines (when there are keys to read)."""
    from voicecli.terminal import KeyReader, is_terminal

    async with contextlib.AsyncExitStack() as stack:
        keys: KeyReader | None = None
        if request.text_only or request.push_to_talk or is_terminal(_stdin_fd()):
            keys = await stack.enter_async_context(KeyReader(talk_key=" " if request.push_to_talk else None))
        mic = None if request.text_only else await stack.enter_async_context(_microphone(request, gate))
        typing = Typing(conversation, view, gate if request.push_to_talk else None)

        async def drive() -> None:
            jobs: list[asyncio.Future[None]] = []
            if mic is not None:
                frames = mic.frames() if canceller is None else _cleaned(mic.frames(), canceller)
                admit = _echo_guard(conversation) if request.echo_guard else None
                jobs.append(asyncio.ensure_future(conversation.pump_microphone(
                    frames, level=lambda: mic.level_dbfs, gate=gate, admit=admit, max_turns=request.max_turns)))
            if keys is not None:
                jobs.append(asyncio.ensure_future(typing.run(keys, wait_for_replies=not keys.interactive)))
            if request.max_turns is not None and mic is None:
                jobs.append(asyncio.ensure_future(_turns_reached(conversation, request.max_turns)))
            if not jobs:
                return
            try:
                # The conversation ends when the microphone does (--max-turns), or the typed input does.
                await asyncio.wait(jobs, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for job in jobs:
                    job.cancel()
                await asyncio.gather(*jobs, return_exceptions=True)
            for job in jobs:  # a failure in one of them is the conversation's
                if not job.cancelled() and job.exception() is not None:
                    raise job.exception()  # type: ignore[misc]

        try:
            async with asyncio.timeout(request.timeout_s):
                await conversation.run(connect, drive)
        except TimeoutError as error:
            raise ConversationTimeout(f"The conversation reached --timeout {request.timeout_s:g} s.") from error
        finally:
            # Audio glitches are counted, never silent: they go into the summary.
            conversation.stats.mic_overflows = mic.overflows if mic is not None else 0
            conversation.stats.playback_underflows = conversation.sink.underflows


def _stdin_fd() -> int | None:
    import sys

    try:
        return sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        return None


def _microphone(request: TalkRequest, gate: Any) -> Any:
    from voicecli.audio import Microphone

    # Server detection takes --chunk-ms frames straight from the device; a local gate reads 20 ms ones.
    return Microphone(request.input_device, frame_ms=request.chunk_ms if gate is None else 20)


def _echo_guard(conversation: Conversation) -> Callable[[bytes], bool]:
    from voicecli.audio import EchoGuard

    guard = EchoGuard()

    def admit(frame: bytes) -> bool:
        return guard.admit(frame, playback_audible=conversation.sink.audible,
                           playback_level_dbfs=conversation.sink.level_dbfs)

    return admit


async def _turns_reached(conversation: Conversation, max_turns: int) -> None:
    while conversation.stats.turns < max_turns:  # noqa: ASYNC110 - moved by server events
        await asyncio.sleep(0.05)
    await conversation.sink.drain()


class Typing:
    """Typed lines become text turns; push-to-talk keys open and close the microphone's turns."""

    SETTLE_S = 0.3  # the agent has been quiet this long after its turn: the next piped line may go

    def __init__(self, conversation: Conversation, view: ViewLike, ptt: PushToTalkGate | None) -> None:
        self.conversation = conversation
        self.view = view
        self.ptt = ptt
        self.sent = 0

    async def run(self, keys: KeyReader, *, wait_for_replies: bool) -> None:
        """Until the input ends. ``wait_for_replies``: each line waits for the agent's previous reply
        to finish (piped text, a script), where a person at the keyboard may type over the agent."""
        from voicecli.terminal import EndOfInput, LineEdited, LineTyped, TalkEnd, TalkStart

        conversation = self.conversation
        epoch, reply_due = 0, conversation.greeting and conversation.persona.greeting is not None
        async for event in keys:
            match event:
                case LineTyped(text):
                    if wait_for_replies and reply_due:
                        await self._until_settled(epoch)
                    epoch = conversation.turns.next_epoch()
                    self.send(text)
                    reply_due = True
                case LineEdited():
                    self.view.handle(event)
                case TalkStart() if self.ptt is not None:
                    self.ptt.start()
                    self.view.handle(event)
                case TalkEnd() if self.ptt is not None:
                    self.ptt.end()
                    self.view.handle(event)
                case EndOfInput():
                    break
        if self.ptt is not None:
            self.ptt.end()
        if reply_due:
            await self._until_settled(epoch)  # the last line's answer is heard before the run ends
        await conversation.sink.drain()

    def send(self, text: str) -> None:
        """One typed line as a user turn: shown and logged as typed, sent as text."""
        conversation = self.conversation
        conversation.recorder.line("user", text, conversation.stats.turns + 1)
        conversation.send_text_turn(text)
        self.sent += 1
        from voicecli.terminal import LineTyped

        self.view.handle(LineTyped(text))

    async def _until_settled(self, epoch: int) -> None:
        conversation = self.conversation
        while not conversation.turns.settled(epoch, conversation.clock(), quiet_s=self.SETTLE_S,  # noqa: ASYNC110
                                             busy=conversation.supervisor.busy):  # moved by server events
            await asyncio.sleep(0.05)


def _echo_canceller(request: TalkRequest, sink: Any) -> EchoCanceller | None:
    """The echo canceller fed by the speaker, when there is a speaker and it should be on."""
    from voicecli.audio import aec

    speaker = getattr(sink, "speaker", None)
    if speaker is None or not aec.should_enable(speaker.device_name, request.aec):
        return None
    canceller = aec.EchoCanceller(reference_rate=speaker.samplerate)
    speaker.on_played = aec.speaker_tap(canceller, lambda: speaker.latency)
    return canceller


async def _cleaned(frames: AsyncIterator[bytes], canceller: EchoCanceller) -> AsyncIterator[bytes]:
    """Microphone frames with the speaker's echo removed (the canceller takes 20 ms at a time)."""
    async for frame in frames:
        if len(frame) == FRAME_BYTES:
            yield canceller.process(frame)
        else:
            yield b"".join(canceller.process(frame[start:start + FRAME_BYTES])
                           for start in range(0, len(frame), FRAME_BYTES))


def _local_gate(cleaned: bool = False) -> Any:
    from voicecli.audio import LocalVad

    if cleaned:  # the canceller's faint residue must never start a turn (docs/echo.md)
        from voicecli.audio.aec import speech_classifier

        return LocalVad(classifier=speech_classifier())
    return LocalVad()


@contextlib.asynccontextmanager
async def _sink(request: TalkRequest) -> AsyncIterator[Any]:
    """Where agent audio goes: a WAV file, the speaker, both, or nowhere (scripted, no --output)."""
    from voicecli.audio import Speaker, WavSink

    async with contextlib.AsyncExitStack() as stack:
        sinks: list[Any] = []
        speaker = None
        if request.output is not None:
            sinks.append(await stack.enter_async_context(WavSink(request.output)))
        if not request.scripted and not request.mute:
            speaker = await stack.enter_async_context(Speaker(request.output_device))
            sinks.append(speaker)
        yield TeeSink(sinks, speaker=speaker)


class TeeSink:
    """Sends agent audio to several sinks; the first one (the user's ears if any) reports progress."""

    def __init__(self, sinks: list[Any], *, speaker: Any = None) -> None:
        self.sinks = sinks
        self.speaker = speaker  # the Speaker among them, if any (the echo canceller's reference)
        self._received_s = 0.0
        self._started = time.monotonic()

    def add_first(self, sink: Any) -> None:
        """A sink that only listens (the recording): first, so the last one still reports progress."""
        self.sinks.insert(0, sink)

    def play(self, pcm24k: bytes) -> None:
        for sink in self.sinks:
            sink.play(pcm24k)

    def end_reply(self) -> None:
        for sink in self.sinks:
            sink.end_reply()

    def flush(self) -> float:
        heard = [sink.flush() for sink in self.sinks]
        return heard[-1] if heard else 0.0

    @property
    def played_seconds(self) -> float:
        return float(self.sinks[-1].played_seconds) if self.sinks else 0.0

    @property
    def audible(self) -> bool:
        return any(sink.audible for sink in self.sinks)

    @property
    def level_dbfs(self) -> float:
        return max((float(sink.level_dbfs) for sink in self.sinks), default=-120.0)

    @property
    def underflows(self) -> int:
        return sum(int(sink.underflows) for sink in self.sinks)

    async def drain(self) -> None:
        for sink in self.sinks:
            await sink.drain()

