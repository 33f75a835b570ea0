"""Tool failures reach the model; barge-in flushes playback and cancels the pending call."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import emulator_process, voicecli
from voicecli import events as ev
from voicecli.agent import Conversation, split_frames
from voicecli.audio import WavSink
from voicecli.conversation.assemble import assemble
from voicecli.emulator import Emulator
from voicecli.errors import AuthError
from voicecli.live.backends import Credentials, make_client
from voicecli.live.config import TalkSettings
from voicecli.persona import load_persona
from voicecli.speech.tts import synthesize

FIXTURES = Path(__file__).parent / "fixtures"
MODEL = "gemini-3.8-live"


def test_tool_exception_and_timeout_are_reported_to_the_model(tmp_path: Path) -> None:
    runs = tmp_path / "runs.txt"
    run = voicecli("talk", "--offline", "--persona", str(FIXTURES / "tess.yaml"), "--scenario",
                   str(FIXTURES / "tess.scenario.yaml"), "--no-recognition", "--speed", "0", "--fast",
                   "--say", "Please check the systems.", "--say", "Get me the archive.", "--json",
                   "--timeout", "60", env={"TESS_RUNS": str(runs)})
    assert run.code == 7, run.stderr  # a tool failed: the run says so
    results = {r["name"]: r for r in run.of_type("tool_result")}
    assert results["flaky_check"]["ok"] is False
    assert results["flaky_check"]["result"]["error"]["type"] == "exception"
    assert results["archive_fetch"]["result"]["error"]["type"] == "timeout"
    agent_lines = [t["text"] for t in run.of_type("transcript") if t["role"] == "agent"]
    # The scenario reads the error type out of the tool response the client sent.
    assert any("The check said exception." in line for line in agent_lines)
    assert any("The archive said timeout." in line for line in agent_lines)
    assert sorted(runs.read_text().split()) == ["archive_fetch", "flaky_check"]
    assert "Traceback" not in run.stderr


class WatchedSink(WavSink):
    """A WAV sink that also remembers when it was flushed (the barge-in seam)."""

    flushes: list[float]

    def flush(self) -> float:
        heard = super().flush()
        self.flushes.append(heard)
        return heard


async def _converse(
    emulator: Emulator, persona_path: Path, events: list[Any], sink: WatchedSink, drive: Any, *,
    api_key: str = "k",
) -> Conversation:
    persona = load_persona(persona_path)
    client = make_client(Credentials("developer", api_key=api_key, base_url=emulator.base_url,
                                     ca_file=emulator.ca_file, offline=True))
    conversation, link = assemble(persona=persona, settings=TalkSettings(model=MODEL), client=client, sink=sink,
                                  notify=events.append)
    connect = link.run
    await conversation.run(connect, lambda: drive(conversation))
    return conversation


async def _until(predicate: Any, limit_s: float = 20.0) -> None:
    """Poll a condition on the conversation's events (they arrive through a plain callback)."""
    async with asyncio.timeout(limit_s):
        while not predicate():  # noqa: ASYNC110 - events are appended by a callback, not signalled
            await asyncio.sleep(0.02)


async def test_barge_in_flushes_playback_and_cancels_the_pending_call(tmp_path: Path) -> None:
    events: list[Any] = []
    sink = WatchedSink(tmp_path / "reply.wav")
    sink.flushes = []
    speech = split_frames(synthesize("Wait, stop, stop please.", rate=16_000))

    async def drive(conv: Conversation) -> None:
        await _until(lambda: any(isinstance(e, ev.TurnComplete) for e in events))  # greeting done
        await conv.outgoing.put(ev.SendText("Look up the moon."))
        await _until(lambda: any(isinstance(e, ev.ToolCallEvent) for e in events))
        await conv.outgoing.put(ev.SendText("Tell me a long story."))
        await _until(lambda: sink.played_seconds > 1.0)  # the story is being heard
        for frame in [*speech, *[bytes(ev.FRAME_BYTES)] * 40]:
            await conv.outgoing.put(ev.SendAudio(frame))
            await asyncio.sleep(0.02)
        await _until(lambda: any(isinstance(e, ev.Interrupted) for e in events))
        await asyncio.sleep(0.3)  # anything still due would arrive now

    async with sink, Emulator(ca_dir=tmp_path / "ca", scenario=FIXTURES / "barge.scenario.yaml",
                              speed=1.0, recognition=False) as emulator:
        conversation = await _converse(emulator, FIXTURES / "tess.yaml", events, sink, drive)
        record = list(emulator.record)

    interrupted = [e for e in events if isinstance(e, ev.Interrupted)]
    assert len(interrupted) == 1 and sink.flushes, "playback was flushed on barge-in"
    story_words = 45
    assert 0 < len(interrupted[0].heard_text.split()) < story_words
    call_id = next(e.call_id for e in events if isinstance(e, ev.ToolCallEvent))
    assert not any(isinstance(e, ev.ToolResultEvent) for e in events), "a cancelled call is never answered"
    assert conversation.stats.interruptions == 1

    from_client = [str(r.get("frame")) for r in record if r["dir"] == "in"]
    to_client = [str(r.get("frame")) for r in record if r["dir"] == "out"]
    assert any("toolCallCancellation" in frame and call_id in frame for frame in to_client)
    assert not any(call_id in frame for frame in from_client), "no tool response for the cancelled call"


async def test_a_refused_key_is_an_auth_error_and_not_retried(tmp_path: Path) -> None:
    events: list[Any] = []
    sink = WatchedSink(tmp_path / "reply.wav")
    sink.flushes = []

    async def drive(conv: Conversation) -> None:
        await asyncio.sleep(30)

    async with sink, Emulator(ca_dir=tmp_path / "ca", speed=0, valid_keys=frozenset({"right-key"})) as emulator:
        with pytest.raises(BaseExceptionGroup) as caught:
            await _converse(emulator, FIXTURES / "tess.yaml", events, sink, drive, api_key="wrong-key")
        connections = {r.get("conn") for r in emulator.record}
    errors = caught.value.exceptions
    assert len(errors) == 1 and isinstance(errors[0], AuthError)
    assert errors[0].exit_code == 4
    assert "API key not valid" in errors[0].message
    assert "wrong-key" not in errors[0].message
    assert len(connections) == 1, "no retry loop on a refused key"


def test_the_api_key_never_reaches_output_logs_or_database(tmp_path: Path) -> None:
    """A real (not --offline) run whose key the service checks: the key appears nowhere after."""
    key = "AIza" + "Sy" + "K3y0nlyF0rTh1sTest_abcdefghijklmnop"
    with emulator_process("--speed", "0", "--api-key", key, "--no-recognition") as exports:
        env = {**exports, "GEMINI_API_KEY": key}
        run = voicecli("--debug", "talk", "--persona", "laura", "--fast", "--say", "Hi", "--json",
                       "--timeout", "60", env=env)
        refused = voicecli("talk", "--persona", "laura", "--fast", "--say", "Hi", "--json",
                           "--timeout", "60", env={**env, "GEMINI_API_KEY": key[:-1] + "X"})
    assert run.code == 0, run.stderr
    assert run.of_type("turn_complete"), "the conversation really ran with that key"
    assert refused.code == 4, refused.stderr  # and the service really checked it
    for output in (run.stdout, run.stderr, refused.stdout, refused.stderr):
        assert key not in output
    for path in Path(os.environ["VOICECLI_HOME"]).rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path
