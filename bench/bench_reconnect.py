"""Reconnect figures: fault -> first frame accepted on the new connection (p50, p95), for a 1006
drop and for a GoAway; and memory growth over a long conversation run faster than real time.

    .venv/bin/python bench/bench_reconnect.py [--faults 20] [--repeat 85]

Times come from the emulator's frame record (same process, same clock). Memory is the traced
Python heap (tracemalloc) after a warm-up conversation and after ``--repeat`` more script rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.resilience_harness import Run, converse, laura_script, speaking  # noqa: E402
from voicecli import events as ev  # noqa: E402
from voicecli.live.backoff import Backoff  # noqa: E402


def recovery_times(run: Run, marker: str) -> list[float]:
    """Seconds from each fault record to the next client frame on a newer connection."""
    out: list[float] = []
    records = run.records
    for i, record in enumerate(records):
        is_fault = record["dir"] == "drop" if marker == "drop" else (
            record["dir"] == "out" and "goAway" in (record.get("frame") or {}))
        if not is_fault:
            continue
        later = next((r for r in records[i + 1:] if r["dir"] == "in" and r["conn"] > record["conn"]), None)
        if later is not None:
            out.append(later["t"] - record["t"])
    return out


async def measure(kind: str, faults: int, home: Path) -> list[float]:
    rng = random.Random(kind)
    remaining = [faults]

    def trigger(run: Run, what: str, item: object) -> None:
        if what == "sent" and speaking(run, item) and remaining[0] and rng.random() < 1 / 40:
            remaining[0] -= 1
            if kind == "drop":
                run.emu.faults.drop_now()
            else:
                run.emu.faults.go_away_now(5.0)

    # Isolated faults: the budget refills after 0.5 s connected, so each drop is a first retry
    # (immediate), as a one-off network drop is. Back-to-back drops wait longer, by design.
    backoff = Backoff(time.monotonic, random.Random(1), budget=50, stable_after_s=0.5)
    run = await converse(home / kind, backend="developer", trigger=trigger, script=laura_script(4),
                         timeout_s=300, backoff=backoff)
    return recovery_times(run, kind)


async def memory(repeat: int, home: Path) -> tuple[float, float, float]:
    """(conversation seconds, heap growth MB, peak MB) over ``repeat`` script rounds after a warm-up.

    Conversation time is the user's audio plus the agent's, as it would pass in real time.
    """
    agent_audio_s = [0.0]

    def count_agent_audio(run: Run, what: str, item: object) -> None:
        if isinstance(item, ev.AgentAudio):
            agent_audio_s[0] += len(item.pcm) / 2 / ev.OUTPUT_RATE

    tracemalloc.start()
    await converse(home / "warm", backend="developer", script=laura_script(1), timeout_s=300,
                   emulator_options={"keep_records": False})
    before = tracemalloc.get_traced_memory()[0]
    agent_audio_s[0] = 0.0
    run = await converse(home / "long", backend="developer", script=laura_script(repeat), timeout_s=3600,
                         emulator_options={"keep_records": False}, trigger=count_agent_audio, keep_sent=False)
    after, peak = tracemalloc.get_traced_memory()
    user_audio_s = run.audio_frames_sent * 0.02
    del run
    return user_audio_s + agent_audio_s[0], (after - before) / 2**20, peak / 2**20


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faults", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=85, help="script rounds; 85 is about an hour")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="voicecli-bench-"))
    os.environ["VOICECLI_HOME"] = str(home / "home")
    for kind in ("drop", "goaway"):
        times = await measure(kind, args.faults, home)
        if times:
            print(f"{kind:7s} fault -> first frame on new connection: n={len(times)} "
                  f"p50={statistics.median(times) * 1000:.1f} ms p95={pct(times, 0.95) * 1000:.1f} ms")
    conversation_s, growth, peak = await memory(args.repeat, home)
    print(f"memory: {conversation_s / 60:.1f} min of conversation (user and agent audio, run faster than real "
          f"time): heap growth {growth:.2f} MB, peak {peak:.1f} MB (goal: flat, under 10 MB)")


if __name__ == "__main__":
    asyncio.run(main())
