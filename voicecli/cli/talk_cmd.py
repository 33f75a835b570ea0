"""``voicecli talk``: a live conversation with a persona, from the microphone or from a script."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voicecli.cli.main import app
from voicecli.errors import UsageError

if TYPE_CHECKING:
    from voicecli.live.config import Backend, TalkSettings
    from voicecli.persona import Persona
    from voicecli.talk import TalkRequest, ViewLike


class BackendChoice(Enum):
    developer = "developer"
    vertex = "vertex"


class VadChoice(Enum):
    server = "server"
    local = "local"


class ChunkChoice(Enum):
    ms20 = "20"
    ms40 = "40"


@app.command(no_args_is_help=False)
def talk(  # noqa: PLR0917 - Typer maps each option to a parameter
    persona: Annotated[str, typer.Option("--persona", "-p", help="Persona name or YAML path.")] = "laura",
    offline: Annotated[bool, typer.Option("--offline", help="Talk to the built-in Live emulator.")] = False,
    backend: Annotated[
        BackendChoice | None, typer.Option("--backend", help="Default: from the environment, as the SDK reads it.")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Live model (default per backend).")] = None,
    vad: Annotated[
        VadChoice | None, typer.Option("--vad", help="server: the service detects speech; local: webrtcvad here.")
    ] = None,
    voice: Annotated[str | None, typer.Option("--voice", help="Prebuilt voice name.")] = None,
    trigger_tokens: Annotated[
        int | None, typer.Option("--trigger-tokens", help="Context compression trigger (tokens).")
    ] = None,
    target_tokens: Annotated[
        int | None, typer.Option("--target-tokens", help="Sliding window kept after compression (tokens).")
    ] = None,
    inputs: Annotated[
        list[Path] | None, typer.Option("--input", "-i", help="WAV file: one user turn (repeatable).")
    ] = None,
    says: Annotated[
        list[str] | None, typer.Option("--say", help="Text spoken as one user turn (repeatable).")
    ] = None,
    say_file: Annotated[
        Path | None, typer.Option("--say-file", help="Text file: one user turn per non-empty line.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the agent's audio to WAV.")] = None,
    fast: Annotated[bool, typer.Option("--fast", help="Send scripted audio as fast as possible.")] = False,
    max_turns: Annotated[int | None, typer.Option("--max-turns", help="Stop after N agent turns.")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Give up after N seconds (exit 5).")] = None,
    json_events: Annotated[bool, typer.Option("--json", help="One JSON event per line on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Show nothing but errors.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the config that would be sent.")] = False,
    log_db: Annotated[Path | None, typer.Option("--log-db", help="Session log database.")] = None,
    input_device: Annotated[str | None, typer.Option("--input-device", help="Mic by index or name.")] = None,
    output_device: Annotated[
        str | None, typer.Option("--output-device", help="Speaker by index or name.")
    ] = None,
    echo_guard: Annotated[
        bool, typer.Option("--echo-guard", help="Half-duplex: hold the mic back while the agent is audible.")
    ] = False,
    no_greeting: Annotated[bool, typer.Option("--no-greeting", help="Wait for the user to speak first.")] = False,
    speed: Annotated[
        float, typer.Option("--speed", help="Offline only: emulator speech pace (1 = real time, 0 = instant).")
    ] = 1.0,
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Offline only: a scenario file scripts the agent (default: the generic "
                     "brain follows the persona's instructions and tools)."),
    ] = None,
    chunk_ms: Annotated[
        ChunkChoice, typer.Option("--chunk-ms", help="Microphone audio per message, in ms: 20 (lowest delay) "
                                  "or 40 (about half the CPU; 20 ms more delay). See docs/performance.md.")
    ] = ChunkChoice.ms20,
    no_recognition: Annotated[
        bool, typer.Option("--no-recognition", help="Offline only: the emulator does not recognise speech "
                           "(audio turns are not understood; faster).")
    ] = False,
    text_only: Annotated[
        bool, typer.Option("--text", help="No microphone: typed lines (or stdin's lines) are the user's turns.")
    ] = False,
    mute: Annotated[bool, typer.Option("--mute", help="No speaker: the agent's words as transcripts only.")] = False,
    ptt: Annotated[
        bool, typer.Option("--ptt", help="Push-to-talk: space starts your turn, space or Enter ends it "
                           "(or hold space while speaking).")
    ] = False,
    record: Annotated[
        bool, typer.Option("--record", help="Keep both sides as one stereo WAV beside the session log "
                           "(you left, the agent right).")
    ] = False,
    aec: Annotated[
        bool | None, typer.Option("--aec/--no-aec", help="Echo cancellation (default: on when voicecli[aec] is "
                                  "installed and the speaker is not a headset).", show_default=False)
    ] = None,
    stall_after: Annotated[
        float | None, typer.Option("--stall-after", metavar="SECONDS", help="Recover a silent stall after this "
                                   "long without an answer (default 8; 0: never). See docs/guards.md.",
                                   show_default=False)
    ] = None,
    no_heard_note: Annotated[
        bool, typer.Option("--no-heard-note", help="After a barge-in, do not tell the model what you heard.")
    ] = False,
    no_drift_guard: Annotated[
        bool, typer.Option("--no-drift-guard", help="Do not steer the agent back to the persona's language.")
    ] = False,
) -> None:
    """Talk to a persona. With --input/--say it runs a scripted conversation (no sound card needed)."""
    from voicecli.guards.settings import GuardSettings
    from voicecli.live.config import TalkSettings, vad_mode
    from voicecli.persona import load_persona
    from voicecli.talk import TalkRequest, run_talk
    from voicecli.ui.live_view import render_summary

    backend_flag: Backend | None = None
    if backend is not None:
        backend_flag = "vertex" if backend is BackendChoice.vertex else "developer"
    loaded = load_persona(persona)
    settings = TalkSettings(
        backend=backend_flag or ("vertex" if _env_wants_vertex() else "developer"),
        model=model,
        vad=None if vad is None else ("local" if vad is VadChoice.local else "server"),
        voice=voice,
        trigger_tokens=trigger_tokens,
        target_tokens=target_tokens,
    )
    if (scenario is not None or no_recognition) and not offline:
        raise UsageError("--scenario and --no-recognition drive the built-in emulator: add --offline")
    if stall_after is not None and stall_after < 0:
        raise UsageError(f"--stall-after must be 0 (off) or more seconds, not {stall_after:g}")
    guards = GuardSettings(heard_note=not no_heard_note, drift=not no_drift_guard)
    if stall_after is not None:
        guards = replace(guards, stall_after_s=stall_after)
    scripted = bool(inputs or says or say_file)
    _check_modes(text_only=text_only, ptt=ptt, scripted=scripted, vad=vad, chunk_ms=chunk_ms)
    if ptt:  # the talk key marks the turns: the service's own detection is off, as with --vad local
        settings = replace(settings, vad="local")
    if chunk_ms is ChunkChoice.ms40 and vad_mode(loaded, settings) == "local":
        raise UsageError("--chunk-ms 40 needs the server's activity detection: local detection (--vad local) "
                         "reads 20 ms frames")
    if aec is True and not scripted and not text_only and not mute:
        from voicecli.audio.aec import AecUnavailable, unavailable_reason

        reason = unavailable_reason()
        if reason is not None:
            raise AecUnavailable(f"--aec: {reason}")
    if dry_run:
        _print_dry_run(loaded, settings, json_events)
        return
    from voicecli.live.config import setup_notices

    setup_notices(loaded, settings)  # a persona its model cannot run is refused before anything starts
    lines = list(says or [])
    if say_file is not None:
        try:
            lines += [line.strip() for line in say_file.read_text().splitlines() if line.strip()]
        except OSError as error:
            raise UsageError(f"cannot read {say_file}: {error.strerror}") from error
    request = TalkRequest(
        persona=loaded,
        settings=settings,
        offline=offline,
        backend_flag=backend_flag,
        inputs=list(inputs or []),
        says=lines,
        output=output,
        realtime=not fast,
        max_turns=max_turns,
        timeout_s=timeout,
        log_db=log_db,
        input_device=input_device,
        output_device=output_device,
        echo_guard=echo_guard,
        greeting=not no_greeting,
        emulator_speed=speed,
        scenario=scenario,
        recognition=not no_recognition,
        chunk_ms=int(chunk_ms.value),
        text_only=text_only,
        mute=mute,
        push_to_talk=ptt,
        record=record,
        aec=aec,
        guards=guards,
    )
    view = _make_view(json_events, quiet, loaded, settings, offline, mode=_mode_text(request))
    result = run_talk(request, view)
    if not json_events and not quiet and result.summary:
        render_summary(result.summary)
    raise typer.Exit(result.exit_code)


def _check_modes(*, text_only: bool, ptt: bool, scripted: bool, vad: VadChoice | None,
                 chunk_ms: ChunkChoice) -> None:
    """Flags that cannot go together: one clear message each (exit 2)."""
    import sys

    from voicecli.terminal import is_terminal

    if text_only and scripted:
        raise UsageError("--text takes the user's turns from the keyboard (or stdin); --input/--say script them: "
                         "use one or the other")
    if ptt and (text_only or scripted):
        raise UsageError("--ptt is for speaking into the microphone: it does not go with --text, --input or --say")
    if ptt and vad is VadChoice.server:
        raise UsageError("--ptt turns the service's activity detection off (the talk key marks your turns): "
                         "it does not go with --vad server")
    if ptt and chunk_ms is ChunkChoice.ms40:
        raise UsageError("--ptt sends 20 ms frames: it does not go with --chunk-ms 40")
    if ptt:
        try:
            terminal = is_terminal(sys.stdin.fileno())
        except (AttributeError, ValueError, OSError):
            terminal = False
        if not terminal:
            raise UsageError("--ptt reads the talk key from a terminal, and stdin is not one",
                             hint="run it in a terminal, or use --text to send piped lines as typed turns")


def _mode_text(request: TalkRequest) -> str | None:
    """How the user talks, for the status line (None: the microphone, with typing when keys are read)."""
    parts = []
    if request.text_only:
        parts.append("text (no mic)")
    if request.push_to_talk:
        parts.append("space: talk")
    if request.mute:
        parts.append("muted")
    if request.record:
        parts.append("recording")
    return " · ".join(parts) or None


def _make_view(json_events: bool, quiet: bool, persona: Persona, settings: TalkSettings,
               offline: bool, *, mode: str | None = None) -> ViewLike:
    import sys

    from voicecli.ui.live_view import JsonLinesView, PlainView, QuietView, RichLiveView, StatusLine

    named = bool(persona.handoffs)  # the agent's lines carry its name when it may hand over
    if json_events:
        return JsonLinesView()
    if quiet:
        return QuietView()
    if not sys.stdout.isatty():
        return PlainView(named_agents=named)
    from voicecli.live.config import model_for, trigger_for

    model = model_for(persona, settings)
    return RichLiveView(StatusLine(backend="emulator" if offline else settings.backend, model=model,
                                   trigger_tokens=trigger_for(persona, settings), mode=mode),
                        named_agents=named)


def _env_wants_vertex() -> bool:
    return os.environ.get("GOOGLE_GENAI_USE_VERTEXAI", "").strip().lower() in {"1", "true", "yes", "on"}


def _print_dry_run(persona: Persona, settings: TalkSettings, as_json: bool) -> None:
    from voicecli.live.config import build_live_config, config_as_json, model_for, setup_notices

    config = build_live_config(persona, settings)
    document = {
        "backend": settings.backend,
        "model": model_for(persona, settings),
        "notices": setup_notices(persona, settings),
        "config": config_as_json(config),
    }
    if as_json:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        from rich.console import Console
        from rich.syntax import Syntax

        Console().print(Syntax(json.dumps(document, indent=2, ensure_ascii=False), "json", word_wrap=True))
