"""Audio engine figures: capture-to-frame latency per soxr quality, CPU per second of audio, barge-in flush.

Latency is simulated exactly: 10 ms device blocks go through the Reframer, and for every frame we note
how long its newest sample waited (from the end of the block that captured it to the end of the block
that completed the frame) plus the measured processing time. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import numpy as np

from voicecli.audio.playback import PlaybackQueue
from voicecli.audio.reframer import Quality, Reframer
from voicecli.events import FRAME_RATE, FRAME_SAMPLES

SECONDS = 20


def capture_latency(rate: int, quality: Quality) -> tuple[float, float, float]:
    """p50 and p95 capture-to-frame latency (ms), and CPU ms per second of audio."""
    block = rate // 100
    signal = (np.random.default_rng(0).normal(0, 3000, rate * SECONDS)).astype(np.int16)
    reframer = Reframer(rate, quality=quality)
    waits, produced, cpu = [], 0, 0.0
    for index in range(signal.size // block):
        started = time.thread_time()
        frames = reframer.push(signal[index * block : (index + 1) * block])
        cpu += time.thread_time() - started
        block_end = (index + 1) * block / rate
        for _ in frames:
            produced += 1
            newest_sample = produced * FRAME_SAMPLES / FRAME_RATE
            waits.append(block_end - newest_sample)
    ms = np.array(waits) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95)), cpu * 1000 / SECONDS


def playback_cpu(rate: int) -> float:
    queue = PlaybackQueue(rate)
    chunk = (np.random.default_rng(1).normal(0, 3000, 2400)).astype(np.int16).tobytes()  # 100 ms chunks
    out = np.empty(round(rate * 0.02), np.int16)
    started = time.thread_time()
    for _ in range(SECONDS * 10):
        queue.play(chunk)
        queue.fill(out)
        queue.fill(out)
        queue.fill(out)
        queue.fill(out)
        queue.fill(out)
    return (time.thread_time() - started) * 1000 / SECONDS


def flush_time() -> tuple[float, float]:
    queue = PlaybackQueue()
    chunk = np.zeros(24_000 * 30, np.int16).tobytes()
    times = []
    for _ in range(200):
        queue.play(chunk)
        started = time.perf_counter()
        queue.flush()
        times.append(time.perf_counter() - started)
        queue.fill(np.empty(480, np.int16))
    us = np.array(times) * 1e6
    return float(np.percentile(us, 50)), float(np.percentile(us, 95))


async def device_flush(runtime: Path) -> str:
    """On the virtual speaker: the bound on flush-to-silence (one block plus the device's latency)."""
    from voicecli.audio import Speaker

    async with Speaker() as speaker:
        speaker.play(np.full(24_000 * 2, 8_000, np.int16).tobytes())
        await asyncio.sleep(0.5)
        heard = speaker.flush()
        block_ms = 20.0
        latency = speaker.latency * 1000
    return (f"device: block {block_ms:.0f} ms, output latency {latency:.1f} ms -> silence reaches the "
            f"speaker within {block_ms + latency:.0f} ms of flush(); heard {heard:.3f} s "
            f"(fifo {runtime / 'speaker.fifo'})")


def main() -> None:
    print("capture: 10 ms device blocks -> 16 kHz 20 ms frames (latency of each frame's newest sample)")
    print(f"{'rate':>6} {'quality':>8} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms/s':>9}")
    for rate in (48_000, 44_100):
        for quality in ("LQ", "HQ", "QQ"):
            p50, p95, cpu = capture_latency(rate, quality)  # type: ignore[arg-type]
            chosen = "  <- chosen" if quality == "LQ" else ("  (soxr default)" if quality == "HQ" else "")
            print(f"{rate:>6} {quality:>8} {p50:>8.1f} {p95:>8.1f} {cpu:>9.3f}{chosen}")
    print("playback CPU (ring + reply bookkeeping, ms per second of audio):")
    for rate in (24_000, 48_000):
        print(f"  device at {rate} Hz: {playback_cpu(rate):.3f}")
    p50, p95 = flush_time()
    print(f"barge-in flush() call: p50 {p50:.1f} us, p95 {p95:.1f} us (30 s queued)")
    runtime = Path(os.environ.get("XDG_RUNTIME_DIR", "/tmp/voicecli-audio-xdg"))
    if subprocess.run(["pactl", "info"], capture_output=True, check=False).returncode != 0:
        print("device flush: skipped (no virtual audio server: bash scripts/virtual-audio.sh start)")
    else:
        print(asyncio.run(device_flush(runtime)))


if __name__ == "__main__":
    main()
