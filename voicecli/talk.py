"""Assembles one ``talk`` run: backend, emulator, audio ends, tools, log, view; runs it; exit code.

This is where the parts meet. It imports no Typer and no Rich: the CLI hands it a view and
renders whatever it raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from voicecli import events as ev
from voicecli.agent import Conversation, ScriptTurn, split_frames
from voicecli.audio.format import FRAME_SECONDS, INPUT_RATE
from voicecli.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, ConversationTimeout, UsageError, VoicecliError
from voicecli.live.config import TalkSettings, model_for, vad_mode
from voicecli.signals import SigtermCancels

if TYPE_CHECKING:
    from voicecli.live.backends import Credentials
    from voicecli.persona import Persona


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

    persona, settings = request.persona, request.settings
    script = await build_script(request) if request.scripted else []
    emulator_notes: list[str] = []
    async with open_backend(request, emulator_notes) as creds:
        settings = replace(settings, backend=creds.backend)
        model = model_for(persona, settings)
        client = make_client(creds)
        tools = ToolRuntime(persona)
        # The sink opens first: if the speaker cannot, nothing was said and nothing is logged.
        async with _sink(request) as sink:
            with SessionLog.open(request.log_db) as log:
                recorder = start_recording(log, persona.name, creds.describe(), model,
                                           meta={"offline": request.offline, "vad": vad_mode(persona, settings)})
                view.handle({"type": "session", "id": recorder.session_id, "persona": persona.name,
                             "backend": creds.describe(), "model": model})
                for text in [*emulator_notes, *setup_notices(persona, settings)]:
                    recorder.notice(text, "warning")
                    view.handle(ev.Notice(text, "warning"))
                conversation, link = assemble(persona=persona, settings=settings, client=client, sink=sink,
                                              notify=view.handle, tools=tools, recorder=recorder,
                                              greeting=request.greeting)
                holder.append(conversation)
                await _converse(request, script, conversation, link.run, view)


async def _converse(request: TalkRequest, script: list[ScriptTurn], conversation: Conversation,
                    connect: Callable[[Conversation], Coroutine[Any, Any, None]], view: ViewLike) -> None:
    """Run the conversation, and record how it ended whatever happens."""
    persona, settings = request.persona, request.settings
    gate = _local_gate() if vad_mode(persona, settings) == "local" else None
    outcome = "error"
    try:
        if request.scripted:
            await conversation.run_script(connect, script, realtime=request.realtime, gate=gate,
                                          max_turns=request.max_turns, timeout_s=request.timeout_s)
        else:
            await _talk_live(request, conversation, connect, gate)
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
        summary = conversation.stats.summary()
        conversation.recorder.end(outcome, summary)
        view.handle({"type": "summary", **conversation.recorder.summary_fields(), "outcome": outcome, **summary})


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
                     connect: Callable[[Conversation], Coroutine[Any, Any, None]], gate: Any) -> None:
    from voicecli.audio import EchoGuard, Microphone

    guard = EchoGuard() if request.echo_guard else None
    async with Microphone(request.input_device) as mic:
        admit = None
        if guard is not None:
            def admit(frame: bytes) -> bool:
                return guard.admit(frame, playback_audible=conversation.sink.audible,
                                   playback_level_dbfs=conversation.sink.level_dbfs)

        frames = mic.frames() if gate is not None else _chunks(mic.frames(), request.chunk_ms)

        async def drive() -> None:
            await conversation.pump_microphone(frames, level=lambda: mic.level_dbfs, gate=gate,
                                               admit=admit, max_turns=request.max_turns)

        try:
            async with asyncio.timeout(request.timeout_s):
                await conversation.run(connect, drive)
        except TimeoutError as error:
            raise ConversationTimeout(f"The conversation reached --timeout {request.timeout_s:g} s.") from error
        finally:
            # Audio glitches are counted, never silent: they go into the summary.
            conversation.stats.mic_overflows = mic.overflows
            conversation.stats.playback_underflows = conversation.sink.underflows


async def _chunks(frames: AsyncIterator[bytes], chunk_ms: int) -> AsyncIterator[bytes]:
    """The microphone's 20 ms frames joined into ``chunk_ms`` messages (fewer, larger sends)."""
    per_chunk = max(1, round(chunk_ms / 1000 / FRAME_SECONDS))
    if per_chunk == 1:
        async for frame in frames:
            yield frame
        return
    pending: list[bytes] = []
    async for frame in frames:
        pending.append(frame)
        if len(pending) == per_chunk:
            yield b"".join(pending)
            pending.clear()


def _local_gate() -> Any:
    from voicecli.audio import LocalVad

    return LocalVad()


@contextlib.asynccontextmanager
async def _sink(request: TalkRequest) -> AsyncIterator[Any]:
    """Where agent audio goes: a WAV file, the speaker, both, or nowhere (scripted, no --output)."""
    from voicecli.audio import Speaker, WavSink

    async with contextlib.AsyncExitStack() as stack:
        sinks: list[Any] = []
        if request.output is not None:
            sinks.append(await stack.enter_async_context(WavSink(request.output)))
        if not request.scripted:
            sinks.append(await stack.enter_async_context(Speaker(request.output_device)))
        yield TeeSink(sinks)


class TeeSink:
    """Sends agent audio to several sinks; the first one (the user's ears if any) reports progress."""

    def __init__(self, sinks: list[Any]) -> None:
        self.sinks = sinks
        self._received_s = 0.0
        self._started = time.monotonic()

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

