"""A worker process of ``voicecli test``: runs conversations one at a time through talk's own assembly.

It reads one RunSpec per line on stdin. For each it builds a ``TalkRequest``, runs ``run_talk`` with
the JSON-lines view (stdout carries exactly the ``talk --json`` event stream), then writes a
``run_end`` event with the exit code. A run's ``env`` is set for that run only. The process lives
on between runs so the SDK is imported once per worker, not once per run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import wave
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voicecli.persona_tests.spec import RUN_END, RunSpec

if TYPE_CHECKING:
    from voicecli.agent import ScriptTurn
    from voicecli.live.config import Backend
    from voicecli.talk import TalkRequest


def main() -> None:
    from voicecli.ui.live_view import JsonLinesView

    # Events keep the pipe to the runner; whatever else writes to stdout (a tool's print, a library)
    # goes to stderr, so it can never break an event line.
    events = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    view = JsonLinesView(events)
    for line in sys.stdin:
        if line.strip():
            code = run_one(RunSpec.from_json(line), view)
            view.handle({"type": RUN_END, "exit_code": code})


def run_one(spec: RunSpec, view: Any) -> int:
    """Run one conversation; every outcome, even a bug of ours, ends as an exit code and an error event."""
    from voicecli.errors import VoicecliError
    from voicecli.talk import run_talk

    with _environment(spec.env):
        try:
            request = asyncio.run(_request(spec))
        except VoicecliError as error:
            view.handle({"type": "error", "message": error.message, "exit_code": error.exit_code})
            return error.exit_code
        try:
            return run_talk(request, view).exit_code
        except VoicecliError as error:  # run_talk has sent the error event already
            return error.exit_code
        except Exception as error:
            view.handle({"type": "error", "message": f"unexpected error: {error!r}", "exit_code": 1})
            return 1


async def _request(spec: RunSpec) -> TalkRequest:
    from voicecli.live.config import TalkSettings
    from voicecli.persona import load_persona
    from voicecli.talk import TalkRequest, scenario_for

    persona = load_persona(Path(spec.persona))
    backend: Backend = "vertex" if spec.backend == "vertex" else "developer"
    settings = TalkSettings(backend=backend, model=spec.model)
    base = TalkRequest(persona=persona, settings=settings)
    turns = [await _turn(base, turn.kind, turn.value) for turn in spec.turns]
    turns = [replace(turn, pause_s=spec_turn.pause_s, barge_in_s=spec_turn.barge_in_s)
             for turn, spec_turn in zip(turns, spec.turns, strict=True)]
    run_dir = Path(spec.run_dir)
    if spec.record:
        _save_user_audio(turns, run_dir)
    # Offline, a persona's own scenario (NAME.scenario.yaml) answers unless the case names another or none.
    scenario = None if spec.scenario == "none" else Path(spec.scenario) if spec.scenario else scenario_for(persona)
    return replace(
        base,
        offline=spec.offline,
        backend_flag="vertex" if spec.backend == "vertex" else ("developer" if spec.backend else None),
        turns=turns,
        output=run_dir / "agent.wav" if spec.record else None,
        realtime=spec.realtime,
        timeout_s=spec.timeout_s,
        log_db=run_dir / "session.sqlite3",
        greeting=spec.greeting,
        emulator_speed=spec.speed,
        scenario=scenario,
        # Only the generic brain needs the user's audio recognised: a scenario answers in order whatever
        # was said, and typed turns need no recognition. Loading and running it costs time.
        recognition=scenario is None and any(turn.kind != "text" for turn in spec.turns),
        # A test judges the persona's own language: the drift guard would steer a drifting agent back
        # and hide the very failure the test is there to find (docs/testing-personas.md).
        guards=replace(base.guards, drift=False),
    )


async def _turn(base: TalkRequest, kind: str, value: str) -> ScriptTurn:
    """One turn, built the way ``talk`` builds --input and --say turns."""
    from voicecli.agent import ScriptTurn
    from voicecli.talk import build_script

    if kind == "text":
        return ScriptTurn(label=value, text=value)
    one = replace(base, inputs=[Path(value)]) if kind == "input" else replace(base, says=[value])
    (turn,) = await build_script(one)
    return turn


def _save_user_audio(turns: list[ScriptTurn], run_dir: Path) -> None:
    from voicecli import events as ev

    for number, turn in enumerate(turns, 1):
        if not turn.frames:
            continue
        with wave.open(str(run_dir / f"user-{number:02d}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(ev.FRAME_RATE)
            out.writeframes(b"".join(turn.frames))


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the runner is stopping: leave quietly
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)
