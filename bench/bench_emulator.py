"""Emulator benchmark: added delay per server frame, and how many real-time audio sessions one core holds.

The emulator runs in its own process, pinned to one core; the clients run here, on the other.
Each session is a raw WebSocket client (no SDK, to keep the client side cheap) that opens a
Developer-API connection, streams 20 ms of microphone silence every 20 ms (so the emulator's
activity detection works as in a real call), asks for a turn and measures, for every agent audio
frame, how late it arrived against the real-time schedule the emulator paces it to. The "added
delay" is that lateness.
Run: .venv/bin/python bench/bench_emulator.py [--max-sessions 200] [--step-seconds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

from voicecli.emulator import Emulator
from voicecli.emulator.scenario import parse_scenario

PATH = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
SETUP = {"setup": {"model": "models/gemini-3.8-live"}}
TURN = {"client_content": {"turns": [{"role": "user", "parts": [{"text": "hi"}]}], "turnComplete": True}}


def _speech_seconds(frame: dict[str, object]) -> float:
    part = frame["serverContent"]["modelTurn"]["parts"][0]  # type: ignore[index]
    return len(base64.b64decode(part["inlineData"]["data"])) / 48_000  # type: ignore[index]


SILENCE = json.dumps({"realtime_input": {"audio": {"data": base64.b64encode(bytes(640)).decode(),
                                                    "mime_type": "audio/pcm;rate=16000"}}})


async def _microphone(ws: object, stop_at: float) -> None:
    """20 ms of silence every 20 ms, as a client streaming its microphone does."""
    next_at = time.perf_counter()
    while time.perf_counter() < stop_at:
        await ws.send(SILENCE)  # type: ignore[attr-defined]
        next_at += 0.02
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))


async def _session(port: int, ssl_context: object, lateness: list[float], stop_at: float) -> None:
    async with connect(f"wss://127.0.0.1:{port}{PATH}", ssl=ssl_context,
                       additional_headers={"x-goog-api-key": "bench"}) as ws:
        await ws.send(json.dumps(SETUP))
        await ws.recv()
        microphone = asyncio.create_task(_microphone(ws, stop_at))
        warm = False  # the first turn pays for speech synthesis; it is not measured
        while time.perf_counter() < stop_at:
            await ws.send(json.dumps(TURN))
            start, audio_s = None, 0.0
            async for raw in ws:
                frame = json.loads(raw)
                content = frame.get("serverContent", {})
                if "modelTurn" in content:
                    now = time.perf_counter()
                    if start is None:
                        start = now
                    elif warm:
                        lateness.append(max(0.0, now - (start + audio_s)))
                    audio_s += _speech_seconds(frame)
                if content.get("turnComplete"):
                    warm = True
                    break
        await microphone


def _serve(ca_dir: Path, ports: multiprocessing.Queue, core: int | None) -> None:  # type: ignore[type-arg]
    """The emulator's process: one core, serving until terminated."""
    if core is not None:
        os.sched_setaffinity(0, {core})

    async def serve() -> None:
        line = "A short line for the benchmark."
        scenario = parse_scenario({"steps": [], "fallback": {"say": line}}, "bench")
        async with Emulator(ca_dir=ca_dir, scenario=scenario, speed=1.0, keep_records=False,
                            recognition=False) as emu:  # the serving path alone, not recognition
            ports.put(emu.port)
            await asyncio.Event().wait()

    asyncio.run(serve())


async def _run(sessions: int, seconds: float, port: int, ca_file: Path) -> list[float]:
    import ssl

    ssl_context = ssl.create_default_context(cafile=str(ca_file))
    lateness: list[float] = []
    stop_at = time.perf_counter() + seconds
    async with asyncio.TaskGroup() as tg:
        for _ in range(sessions):
            tg.create_task(_session(port, ssl_context, lateness, stop_at))
    return lateness


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-sessions", type=int, default=200)
    parser.add_argument("--step-seconds", type=float, default=6.0)
    parser.add_argument("--budget-ms", type=float, default=5.0)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_core = cores[0] if len(cores) > 1 else None
    if server_core is not None:
        os.sched_setaffinity(0, set(cores[1:]))  # the clients stay off the emulator's core
    with tempfile.TemporaryDirectory() as tmp:
        ca_dir = Path(tmp) / "ca"
        ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        server = multiprocessing.Process(target=_serve, args=(ca_dir, ports, server_core), daemon=True)
        server.start()
        port = ports.get(timeout=30)
        print(f"emulator on core {server_core}, clients on {cores[1:] or 'the same core'}")
        try:
            _search(args, port, ca_dir / "ca.pem")
        finally:
            server.terminate()
            server.join(timeout=10)


def _search(args: argparse.Namespace, port: int, ca_file: Path) -> None:
    single = asyncio.run(_run(1, args.step_seconds, port, ca_file))
    print(f"added delay per frame, 1 session: p50 {statistics.median(single) * 1e3:.2f} ms, "
          f"p99 {_percentile(single, 0.99) * 1e3:.2f} ms ({len(single)} frames)")
    held, sessions = 0, 10
    while sessions <= args.max_sessions:
        lateness = asyncio.run(_run(sessions, args.step_seconds, port, ca_file))
        p99 = _percentile(lateness, 0.99) * 1e3
        print(f"{sessions:4d} sessions: p50 {statistics.median(lateness) * 1e3:.2f} ms, p99 {p99:.2f} ms")
        if p99 >= args.budget_ms:
            break
        held, sessions = sessions, sessions * 2 if sessions < 40 else sessions + 10
    print(f"real-time audio sessions held on one core with p99 added delay < {args.budget_ms:g} ms: "
          f"{held} (searched up to {args.max_sessions})")


if __name__ == "__main__":
    main()
