"""Reconnect figures: fault -> first frame accepted on the new connection (p50, p95), for isolated 1006
drops (the goal: p95 <= 300 ms with the emulator's default linger), for drops in bursts, and for a
GoAway; and memory growth over a long conversation run faster than real time.

    .venv/bin/python bench/bench_reconnect.py [--faults 20] [--repeat 85] [--no-memory]

Times come from the emulator's frame record (same process, same clock). "Accepted" is the first client
frame after the setup on a connection the service accepted (a refused resume's setup does not count).
Isolated drops come at least ``ISOLATED_GAP_S`` after the last resume, so the backoff budget has
refilled and each one is a first retry, as a one-off network drop is; the burst figure drops at random
while the user speaks, so some come while the previous backoff still counts. Memory is the traced
Python heap (tracemalloc) after a warm-up conversation and after ``--repeat`` more script rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
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
from voicecli.emulator import Faults  # noqa: E402
from voicecli.live.backoff import Backoff, LingerLadder  # noqa: E402

GOAL_P95_S = 0.300
LINGER_S = 0.1
"""A lingering old socket, as the real service shows after an abrupt drop (the emulator's fault)."""
ISOLATED_GAP_S = 1.0
"""Drops this long after the last resume count as isolated: the backoff budget refills after 0.5 s."""


def recovery_times(run: Run, marker: str) -> list[float]:
    """Seconds from each fault record to the first frame after the setup on a newer, accepted connection."""
    out: list[float] = []
    records = run.records
    for i, record in enumerate(records):
        is_fault = record["dir"] == "drop" if marker == "drop" else (
            record["dir"] == "out" and "goAway" in (record.get("frame") or {}))
        if not is_fault:
            continue
        later = next((r for r in records[i + 1:] if r["dir"] == "in" and r["conn"] > record["conn"]
                      and "setup" not in (r.get("frame") or {})), None)
        if later is not None:
            out.append(later["t"] - record["t"])
    return out


def refusals(run: Run) -> int:
    return sum(1 for r in run.records if r["dir"] == "close" and r.get("code") == 1011)


async def measure(kind: str, faults: int, home: Path, *, isolated: bool = False, linger_s: float = 0.0,
                  ladder: bool = True) -> tuple[list[float], Run]:
    rng = random.Random(kind)
    remaining = [faults]
    last = [0.0, 0]  # when the newest connection was seen, and how many there were

    def trigger(run: Run, what: str, item: object) -> None:
        if not ladder:
            run.connection.ladder = LingerLadder(())  # the client as it was: general backoff only
        if what != "sent" or not speaking(run, item) or not remaining[0]:
            return
        if isolated:
            if run.connection.connections != last[1]:
                last[:] = [time.monotonic(), run.connection.connections]
            if time.monotonic() - last[0] < ISOLATED_GAP_S:
                return
        elif rng.random() >= 1 / 40:
            return
        remaining[0] -= 1
        if kind == "drop":
            run.emu.faults.drop_now()
        else:
            run.emu.faults.go_away_now(5.0)

    # The budget refills after 0.5 s connected, so an isolated drop is a first retry (immediate).
    backoff = Backoff(time.monotonic, random.Random(1), budget=50, stable_after_s=0.5)
    lingering = Faults()
    lingering.linger_after_drop_s = linger_s
    run = await converse(home / f"{kind}-{isolated}-{linger_s}-{ladder}", backend="developer", trigger=trigger,
                         script=laura_script(4 if not isolated else 12), timeout_s=600, backoff=backoff,
                         faults=lingering)
    return recovery_times(run, kind), run


def describe(label: str, times: list[float], run: Run, goal: bool) -> str:
    text = (f"{label}: n={len(times)} p50={statistics.median(times) * 1000:.0f} ms "
            f"p95={pct(times, 0.95) * 1000:.0f} ms")
    if goal:
        verdict = "met" if pct(times, 0.95) <= GOAL_P95_S else "NOT met"
        text += f" (goal: p95 <= {GOAL_P95_S * 1000:.0f} ms: {verdict})"
    waits = run.connection.waits
    ladder = sum(1 for kind, _ in waits if kind == "linger")
    return text + f"; resumes refused while the old socket lingered: {refusals(run)}, ladder steps {ladder}"


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
    parser.add_argument("--no-memory", action="store_true", help="skip the memory figure")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="voicecli-bench-"))
    os.environ["VOICECLI_HOME"] = str(home / "home")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.2f} (the emulator runs in this process, its default linger)")
    linger = LINGER_S
    cases = (
        ("drop", True, 0.0, True, "1006 drop, isolated -> first frame accepted on the new connection"),
        ("drop", True, linger, True, f"the same, the old socket lingering {linger * 1000:.0f} ms on the server"),
        ("drop", True, linger, False, "  the same without the short ladder (general backoff only)"),
        ("drop", False, 0.0, True, "1006 drops in bursts (backoff may still count)"),
        ("goaway", False, 0.0, True, "GoAway -> first frame on the new connection"),
    )
    for kind, isolated, linger_s, ladder, label in cases:
        times, run = await measure(kind, args.faults, home, isolated=isolated, linger_s=linger_s, ladder=ladder)
        if times:
            print(describe(label, times, run, goal=isolated and ladder))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.no_memory:
        return
    conversation_s, growth, peak = await memory(args.repeat, home)
    print(f"memory: {conversation_s / 60:.1f} min of conversation (user and agent audio, run faster than real "
          f"time): heap growth {growth:.2f} MB, peak {peak:.1f} MB (goal: flat, under 10 MB)")


if __name__ == "__main__":
    asyncio.run(main())
