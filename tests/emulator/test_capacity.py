"""The serving path's shortcuts give the same results as the long way: audio intake, quiet-block activity
detection, shared speech, one pacing timer, and plain ws:// on loopback."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from google.genai import types
from websockets.asyncio.client import connect

from voicecli.emulator import Emulator, intake
from voicecli.emulator import protocol as p
from voicecli.emulator.pacing import EARLY_S, Pacer
from voicecli.emulator.vad import ServerVad

from .conftest import MODEL, client_for, receive_turn
from .test_vad import layout, run

DEV_PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"


def sdk_audio_frame(pcm: bytes, mime: str = "audio/pcm;rate=16000") -> str:
    """As google-genai 3.x sends audio: snake keys, URL-safe base64."""
    return json.dumps({"realtime_input": {"audio": {"data": base64.urlsafe_b64encode(pcm).decode(),
                                                    "mime_type": mime}}})


@pytest.mark.parametrize("mime", ["audio/pcm;rate=16000", "audio/pcm;rate=24000", "audio/pcm"])
def test_the_audio_fast_path_reads_what_the_general_path_reads(mime: str) -> None:
    pcm = bytes(range(256)) * 5
    raw = sdk_audio_frame(pcm, mime)
    fast = intake.read_audio_frame(raw.encode())
    general = intake.read_frame(raw.replace('"mime_type"', '"mimeType"'), vertex=False, manual_activity=False)
    assert fast is not None and general.error is None and isinstance(general.message, intake.RealtimeInput)
    assert fast.chunk == general.message.audio[0] and fast.record == p.normalise_keys(json.loads(raw))


@pytest.mark.parametrize("raw", [
    json.dumps({"realtime_input": {"audio": {"data": base64.b64encode(b"\x01\x02\x03").decode().rstrip("="),
                                             "mime_type": "audio/pcm;rate=16000"}}}),  # unpadded, standard alphabet
    json.dumps({"realtime_input": {"audio": {"data": "AAAA", "mime_type": "audio/pcm;rate=\u00e98000"}}}),
    json.dumps({"realtime_input": {"audio": {"data": "AAAA", "mime_type": "audio/pcm;rate=8000\""}}}),
    json.dumps({"realtime_input": {"audio": {"data": "AA\u0041A", "mime_type": "audio/pcm"}}}),  # an escape
    json.dumps({"realtime_input": {"audio": {"data": "AAAA", "mime_type": "audio/pcm;rate=24000"}}},
               separators=(",", ":")),  # compact JSON: not the SDK's bytes, read as JSON
])
def test_the_byte_matched_fast_path_agrees_with_json(raw: str) -> None:
    fast = intake.read_audio_frame(raw.encode())
    general = intake.read_frame(raw, vertex=False, manual_activity=False)
    if fast is None:
        assert not general.audio_only  # only frames the JSON fast path would refuse too are left out
    else:
        assert isinstance(general.message, intake.RealtimeInput) and fast.chunk == general.message.audio[0]


@pytest.mark.parametrize("raw", [
    '{"realtime_input": {"audio": {"data": "AAAA", "mime_type": "audio/pcm"}, "text": "hi"}}',  # more than audio
    '{"realtimeInput": {"audio": {"data": "AAAA", "mimeType": "audio/pcm"}}}',  # camelCase: normalised first
    '{"realtime_input": {"audio": {"data": "A", "mime_type": "audio/pcm"}}}',  # bad base64: refused as before
    '{"realtime_input": {"audio": {"data": "AAAA", "mime_type": "image/png"}}}',
    '{"realtime_input": {"audio": {"data": "AAAA", "mime_type": "audio/pcm", "extra": 1}}}',
    "{not json",
])
def test_anything_but_a_plain_audio_frame_takes_the_general_path(raw: str) -> None:
    assert intake.read_audio_frame(raw.encode()) is None


def test_quiet_blocks_skip_steps_without_changing_events_or_the_noise_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    recording = layout()
    rng = np.random.default_rng(3)
    room = (rng.normal(0.0, 12.0, 16_000 * 2)).astype("<i2").tobytes()  # two seconds of a quiet room first
    pcm = room + recording.pcm  # then speech and silent gaps: steps where it matters, skips where not
    shortcut = ServerVad()
    fast_events = run(shortcut, pcm, chunk_bytes=640)
    monkeypatch.setattr(ServerVad, "_quiet_block", lambda self, levels: False)
    stepwise = ServerVad()
    slow_events = run(stepwise, pcm, chunk_bytes=640)
    assert fast_events == slow_events and len(fast_events) == 2 * len(recording.utterances)
    assert shortcut._floor_db == stepwise._floor_db and shortcut.clock_s == stepwise.clock_s


async def test_one_timer_wakes_every_waiter_and_never_early() -> None:
    pacer, loop = Pacer(), asyncio.get_running_loop()
    woke: list[tuple[int, float, float]] = []
    start = loop.time()

    async def wait(number: int, deadline: float) -> None:
        await pacer.until(deadline)
        woke.append((number, deadline, loop.time()))

    deadlines = [start + 0.001 * ((i * 7) % 23 + 1) for i in range(40)]
    tasks = [asyncio.create_task(wait(i, deadline)) for i, deadline in enumerate(deadlines)]
    tasks[5].cancel()  # a speaker cut by a barge-in leaves its waiter behind
    await asyncio.gather(*tasks, return_exceptions=True)
    assert sorted(number for number, _, _ in woke) == [i for i in range(40) if i != 5] and pacer.waiting == 0
    assert all(at >= deadline - EARLY_S - 1e-6 for _, deadline, at in woke)


async def test_a_line_is_synthesised_once_for_every_session_that_says_it(make_emulator: Callable[..., Any]) -> None:
    from voicecli.speech.tts import synthesize

    calls: list[str] = []

    def counting(line: str) -> bytes:
        calls.append(line)
        return synthesize(line, rate=24_000)

    config = types.LiveConnectConfig(system_instruction="You are Ada, a home assistant.",
                                     output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator(recognition=False, synthesize=counting) as emu:
        heard = []
        for _ in range(3):
            async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
                await session.send_client_content(turns=types.Content(role="user", parts=[types.Part(text="Hello")]))
                heard.append(await receive_turn(session))
    assert calls == ["Hi, I'm Ada, a home assistant. How can I help you today?"]
    assert heard[0].audio == heard[1].audio == heard[2].audio and heard[2].transcript == calls[0]


async def test_plain_websocket_serving_on_loopback(tmp_path: Path) -> None:
    async with Emulator(ca_dir=tmp_path / "ca", tls=False, speed=0, recognition=False) as emu:
        assert emu.ws_url.startswith("ws://") and emu.client_ssl_context() is None
        assert "SSL_CERT_FILE" not in emu.env() and emu.env()["GOOGLE_VERTEX_BASE_URL"].startswith("ws://")
        assert not (tmp_path / "ca").exists()  # no certificate is made for plain serving
        async with connect(emu.ws_url + DEV_PATH, additional_headers={"x-goog-api-key": "k"}) as ws:
            await ws.send(json.dumps({"setup": {"model": f"models/{MODEL}"}}))
            assert json.loads(await ws.recv()) == {"setupComplete": {}}
            await ws.send(sdk_audio_frame(bytes(640)))
            await ws.send(json.dumps({"client_content": {"turns": [{"role": "user", "parts": [{"text": "Hello"}]}],
                                                         "turnComplete": True}}))
            frames = []
            while not frames or "turnComplete" not in frames[-1].get("serverContent", {}):
                frames.append(json.loads(await ws.recv()))
    assert any("modelTurn" in frame.get("serverContent", {}) for frame in frames)
    audio_in = [r for r in emu.record if r["dir"] == "in" and "realtime_input" in r.get("frame", {})]
    assert audio_in[0]["frame"]["realtime_input"]["audio"]["data"].endswith(" bytes>") and audio_in[0]["index"] == 1
