"""Whole audio frames read from the received bytes (emulator/wire.py) and websockets' parser stay in step."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from voicecli.emulator import Emulator, wire

DEV_PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"


def audio(seed: int) -> bytes:
    pcm = bytes((seed + i) % 7 for i in range(640))
    return json.dumps({"realtime_input": {"audio": {"data": base64.urlsafe_b64encode(pcm).decode(),
                                                    "mime_type": "audio/pcm;rate=16000"}}}).encode()


def masked(*frames: Frame) -> bytes:
    """Frames as a client puts them on the wire (masked)."""
    client = ClientProtocol(parse_uri("ws://x/"))
    client.state = State.OPEN
    for frame in frames:
        client.send_frame(frame)
    return b"".join(client.data_to_send())


def open_server() -> ServerProtocol:
    server = ServerProtocol()
    server.state = State.OPEN
    server.parser = super(ServerProtocol, server).parse()  # past the HTTP upgrade: the frame parser
    next(server.parser)
    return server


def test_whole_data_frames_are_taken_and_the_rest_is_left_at_a_frame_boundary() -> None:
    first, second, third = audio(1), audio(2), audio(3)
    data = masked(Frame(Opcode.TEXT, first), Frame(Opcode.BINARY, second), Frame(Opcode.PING, b"p"),
                  Frame(Opcode.TEXT, third))
    taken: list[bytes] = []
    server = open_server()
    assert wire.at_frame_boundary(server)
    used = wire.take_frames(data, lambda payload: taken.append(payload) is None, None)
    assert taken == [first, second]  # a ping is websockets' to answer: it stops there
    server.receive_data(data[used:])
    events = server.events_received()
    assert [event.opcode for event in events] == [Opcode.PING, Opcode.TEXT] and events[1].data == third
    assert wire.at_frame_boundary(server)


def test_partial_fragmented_or_declined_frames_are_left_whole() -> None:
    whole = masked(Frame(Opcode.TEXT, audio(1)))
    assert wire.take_frames(whole[:-1], lambda payload: True, None) == 0  # incomplete
    assert wire.take_frames(whole, lambda payload: False, None) == 0  # declined
    assert wire.take_frames(whole, lambda payload: True, 100) == 0  # over the size limit
    fragment = masked(Frame(Opcode.TEXT, audio(1), fin=False))
    assert wire.take_frames(fragment, lambda payload: True, None) == 0
    server = open_server()
    server.receive_data(whole[:5])  # websockets holds part of a frame: not a boundary
    assert not wire.at_frame_boundary(server)
    server.receive_data(whole[5:])
    assert server.events_received()[0].data == audio(1) and wire.at_frame_boundary(server)
    server.receive_data(fragment)  # a message in pieces is under way: not a boundary
    assert not wire.at_frame_boundary(server)


async def test_frames_split_and_joined_arbitrarily_on_tcp_arrive_in_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Audio frames and a text turn, written whole, several at once, and cut mid-frame: all counted, in order."""
    turn = json.dumps({"client_content": {"turns": [{"role": "user", "parts": [{"text": "Hello"}]}],
                                          "turnComplete": True}}).encode()
    payloads = [audio(i) for i in range(40)]
    payloads.insert(3, turn)
    encoded = [masked(Frame(Opcode.TEXT, payload)) for payload in payloads]
    # Writes: whole frames alone and in groups, and frames cut anywhere (header, mask or payload).
    writes: list[bytes] = []
    stream = b"".join(encoded)
    cuts = [len(b"".join(encoded[:n])) for n in (1, 2, 5, 8)]
    cuts += [cuts[-1] + 1, cuts[-1] + 3, cuts[-1] + 7, len(b"".join(encoded[:12])) + 500]
    cuts += [len(b"".join(encoded[:n])) for n in (14, 15, 20)] + [len(b"".join(encoded[:21])) + 2]
    for begin, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        writes.append(stream[begin:end])
    offered: list[int] = []
    original = wire.take_frames

    def spy(data: bytes, take: Any, max_size: int | None) -> int:
        used = original(data, take, max_size)
        offered.append(used)
        return used

    monkeypatch.setattr(wire, "take_frames", spy)
    async with Emulator(ca_dir=tmp_path / "ca", tls=False, speed=0, recognition=False) as emu:
        reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {DEV_PATH}?key=k HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        await reader.readuntil(b"\r\n\r\n")
        writer.write(masked(Frame(Opcode.TEXT, json.dumps({"setup": {"model": f"models/{MODEL}"}}).encode())))
        await reader.read(64)  # setupComplete
        for piece in writes:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.005)
        for _ in range(200):
            received = [r for r in emu.record if r["dir"] == "in" and r.get("index", 0) > 0]
            if len(received) == len(payloads):
                break
            await asyncio.sleep(0.02)
        writer.close()
    assert [r["index"] for r in received] == list(range(1, len(payloads) + 1))
    assert "client_content" in received[3]["frame"] and received[3]["text"]["text"] == "Hello"
    assert all("realtime_input" in r["frame"] for i, r in enumerate(received) if i != 3)
    assert [r["frame"]["realtime_input"]["audio"]["data"] for i, r in enumerate(received) if i != 3] == [
        f"<{len(json.loads(p)['realtime_input']['audio']['data']) * 3 // 4} bytes>" for p in payloads if p != turn]
    assert sum(offered) > 0  # the bytes path was taken, not only websockets'
    assert not [r for r in emu.record if r["dir"] == "close"]  # no protocol error on the way


def test_a_ready_server_frame_is_what_websockets_reads() -> None:
    from websockets.protocol import Protocol

    for size in (0, 125, 126, 3_000, 65_535, 70_000):
        payload = bytes(index % 251 for index in range(size))
        client = ClientProtocol(parse_uri("ws://x/"))
        client.state = State.OPEN
        client.parser = Protocol.parse(client)  # past the HTTP upgrade
        next(client.parser)
        client.receive_data(wire.server_frame(payload))
        [frame] = client.events_received()
        assert (frame.opcode, frame.fin, frame.data) == (Opcode.BINARY, True, payload), size


async def test_speech_goes_out_as_ready_frames_that_a_client_reads(tmp_path: Path) -> None:
    written: list[bool] = []
    original = wire.can_write

    def spy(connection: Any) -> bool:
        allowed = original(connection)
        written.append(allowed)
        return allowed

    turn = json.dumps({"client_content": {"turns": [{"role": "user", "parts": [{"text": "Hello"}]}],
                                          "turnComplete": True}})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wire, "can_write", spy)
        async with Emulator(ca_dir=tmp_path / "ca", speed=0, recognition=False) as emu:
            import ssl

            from websockets.asyncio.client import connect

            context = ssl.create_default_context(cafile=str(emu.ca_file))
            async with connect(emu.ws_url + DEV_PATH, ssl=context, additional_headers={"x-goog-api-key": "k"}) as ws:
                await ws.send(json.dumps({"setup": {"model": f"models/{MODEL}", "outputAudioTranscription": {}}}))
                await ws.recv()
                await ws.send(turn)
                frames = []
                while not frames or "turnComplete" not in frames[-1].get("serverContent", {}):
                    frames.append(json.loads(await ws.recv()))
    audio = [f for f in frames if "modelTurn" in f.get("serverContent", {})]
    said = "".join(f["serverContent"]["outputTranscription"]["text"] for f in frames
                   if "outputTranscription" in f.get("serverContent", {}))
    assert audio and said == "Hi! How can I help you today?"
    assert written and all(written)  # over TLS, each chunk went out as its ready frame, and read back whole
