"""How much the emulator's voice and activity detector cost.

Prints synthesis time per second of speech produced (median over fresh renderings, at 24 kHz)
and the detector's cost per 20 ms frame of 16 kHz audio (median and p99), pushed one frame at a time.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from voicecli.emulator import voice
from voicecli.emulator.vad import ServerVad

SENTENCES = (
    "Hello, I am Laura. How can I help you today?",
    "I have created your profile and noted the three action items we discussed.",
    "Your appointment is booked for Tuesday at ten in the morning.",
    "Thanks for calling. Goodbye.",
)
ROUNDS = 5


def bench_synthesis() -> None:
    voice.synthesize("warm up")  # loads the library once, outside the measurement
    ratios = []
    for _ in range(ROUNDS):
        for sentence in SENTENCES:
            voice.clear_cache()
            start = time.perf_counter()
            pcm = voice.synthesize(sentence, rate=24_000)
            elapsed = time.perf_counter() - start
            ratios.append(elapsed / (len(pcm) / 2 / 24_000))
    print(
        f"synthesis: {statistics.median(ratios) * 1000:.1f} ms per second of speech "
        f"(median of {len(ratios)}; real-time factor {1 / statistics.median(ratios):.0f}x)"
    )


def bench_vad() -> None:
    parts = []
    for sentence in SENTENCES:
        parts += [
            np.frombuffer(voice.synthesize(sentence, rate=16_000), dtype="<i2"),
            np.zeros(16_000, np.int16),
        ]
    noise = np.random.default_rng(0).normal(0, 30, sum(len(p) for p in parts))
    pcm = np.clip(np.concatenate(parts) + noise, -32_768, 32_767).astype("<i2").tobytes()
    frame = 640
    costs_us = []
    for _ in range(ROUNDS):
        vad = ServerVad()
        for offset in range(0, len(pcm) - frame + 1, frame):
            chunk = pcm[offset : offset + frame]
            start = time.perf_counter_ns()
            vad.push(chunk)
            costs_us.append((time.perf_counter_ns() - start) / 1000)
    costs_us.sort()
    p99 = costs_us[int(len(costs_us) * 0.99)]
    print(
        f"vad: {statistics.median(costs_us):.1f} us median, {p99:.1f} us p99 per 20 ms frame "
        f"({len(costs_us)} frames)"
    )


if __name__ == "__main__":
    bench_synthesis()
    bench_vad()
