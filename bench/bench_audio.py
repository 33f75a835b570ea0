"""Audio engine figures, each printed beside its goal (issue 11). Prints figures; asserts nothing.

1. Capture, newest sample of a 20 ms frame -> frame ready (goal p95 <= 10 ms): simulated exactly, device
   blocks through the Reframer; a frame's newest sample is the instant its content was captured, so a
   resampler's delay counts whether it holds samples back (soxr) or passes them late (the FIR).
2. Capture on the virtual microphone: block handed over by PortAudio -> frame out of `frames()`, CPU
   share and loop wake-ups per second, for 10 and 20 ms blocks. (About one input stream in five on the
   virtual microphone starts in a state where PortAudio's ALSA thread spins at 20-35% of a core; HEAD's
   settings do it too; the per-run CPU figures show it.)
3. Playback CPU and the cost of a `flush()` call.
4. On the virtual speaker, read back from the pipe sink's FIFO: downlink (`play()` of a reply's first
   chunk -> its first sample at the speaker, goal p50 <= 20 ms) and barge-in (`flush()` -> the reply's
   last sample at the speaker, goal p50 <= 20 ms, p95 <= 30 ms), with underflows and glitched replies
   counted: quiet; busy (a CPU-bound process per core and one more) with the event loop idle, then 10%
   busy in 2 ms bursts of Python (the GIL the callback needs is then often held by a preempted thread);
   and that once more without real-time priority for the stream threads (what most desktop users get).
   The speaker moves to longer blocks after repeated underflows: "device blocks" shows where it ended.
   Two modes of the speaker's stream: "running" (it runs between replies, as between the turns of a
   conversation) and "restarted" (each reply starts a stopped stream, as after a pause of
   IDLE_STOP_SECONDS or more; the bench stops it after 0.1 s to get there sooner). Each also prints how
   hard a barge-in cuts (the last sample's level), callbacks per second between replies and how long the
   stream calls made on the event loop took. "speaker CPU with nothing to play" is the process CPU of an
   open, idle speaker, its stream running or stopped.

Other people's work shares the machine: the load average is printed with each device figure, and
`--repeat` reruns the device part and reports medians across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voicecli.audio import capture, playback
from voicecli.audio.playback import PlaybackQueue
from voicecli.audio.reframer import Quality, Reframer
from voicecli.events import FRAME_RATE, FRAME_SAMPLES

SECONDS = 20
LOOP_BUSY = 0.10
"""Share of the event loop the busy runs spend in 2 ms bursts of pure Python (parsing, the live view)."""
RUNTIME = Path(os.environ.get("XDG_RUNTIME_DIR", "/tmp/voicecli-audio-xdg"))


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


# -- 1. capture, simulated ----------------------------------------------------------------------------
def capture_latency(rate: int, quality: Quality, block_seconds: float) -> tuple[float, float, float]:
    """p50 and p95 newest-sample -> frame latency (ms), and CPU ms per second of audio."""
    block = round(rate * block_seconds)
    signal = (np.random.default_rng(0).normal(0, 3000, rate * SECONDS)).astype(np.int16)
    reframer = Reframer(rate, quality=quality)
    stream = getattr(reframer, "_stream", None)
    lag = float(getattr(stream, "delay_seconds", 0.0))  # soxr aligns its output; the FIR passes it late
    waits, produced, cpu = [], 0, 0.0
    for index in range(signal.size // block):
        started, wall = time.thread_time(), time.perf_counter()
        frames = reframer.push(signal[index * block : (index + 1) * block])
        cpu += time.thread_time() - started
        spent = time.perf_counter() - wall
        block_end = (index + 1) * block / rate
        for _ in frames:
            produced += 1
            newest_sample = produced * FRAME_SAMPLES / FRAME_RATE - lag
            waits.append(block_end - newest_sample + spent)
    ms = [wait * 1000 for wait in waits]
    return pct(ms, 50), pct(ms, 95), cpu * 1000 / SECONDS


def print_capture_simulated() -> None:
    print("capture, newest sample of a 20 ms frame -> frame ready (simulated; goal p95 <= 10 ms)")
    print(f"  {'rate':>6} {'resampler':>9} {'block':>6} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms/s':>9}")
    rows: list[tuple[Quality, float, str]] = [("LD", 0.020, "  <- microphone"), ("LD", 0.010, ""),
                                              ("LQ", 0.010, "  (before)"), ("HQ", 0.010, "")]
    for rate in (48_000, 44_100):
        for quality, block, note in rows:
            with contextlib.suppress(ValueError):  # no "LD" in older trees (before/after runs)
                p50, p95, cpu = capture_latency(rate, quality, block)
                print(f"  {rate:>6} {quality:>9} {block * 1000:>4.0f}ms {p50:>7.1f} {p95:>7.1f} {cpu:>9.2f}{note}")


# -- 2. capture on the device ------------------------------------------------------------------------
@dataclass
class CaptureRun:
    hop50: float
    hop95: float
    wakeups: float
    cpu: float
    rate: int
    overflows: int
    realtime: bool


async def capture_on_device(block_seconds: float, seconds: float) -> CaptureRun:
    capture.BLOCK_SECONDS = block_seconds  # read when the microphone opens
    stamps: list[float] = []

    class TimedMicrophone(capture.Microphone):
        def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
            stamps.append(time.monotonic())
            super()._callback(indata, frames, time_info, status)

    hops: list[float] = []
    blocks_per_frame = max(1, round(0.020 / block_seconds))
    async with TimedMicrophone() as mic:
        count, started = 0, 0.0
        cpu0 = wall0 = 0.0
        async for _frame in mic.frames():
            count += 1
            if count == 25:  # past the start-up
                cpu0, wall0, started = time.process_time(), time.monotonic(), len(stamps)
            if count > 25 and count * blocks_per_frame <= len(stamps):
                hops.append((time.monotonic() - stamps[count * blocks_per_frame - 1]) * 1000)
            if wall0 and time.monotonic() - wall0 >= seconds:
                break
        wall = time.monotonic() - wall0
    return CaptureRun(pct(hops, 50), pct(hops, 95), (len(stamps) - started) / wall,
                      (time.process_time() - cpu0) / wall * 100, mic.samplerate, mic.overflows,
                      bool(getattr(mic, "realtime", False)))


def print_capture_on_device(runs_per_block: int = 3, seconds: float = 5.0) -> None:
    print(f"capture on the virtual microphone (median of {runs_per_block} runs of {seconds:.0f} s; whole-process CPU):")
    for block in (0.010, 0.020):
        runs = [asyncio.run(capture_on_device(block, seconds)) for _ in range(runs_per_block)]
        print(f"  {block * 1000:.0f} ms blocks at {runs[0].rate} Hz: block handed over -> frame out "
              f"p50 {statistics.median(r.hop50 for r in runs):.2f} ms, "
              f"p95 {statistics.median(r.hop95 for r in runs):.2f} ms; "
              f"{statistics.median(r.wakeups for r in runs):.0f} wake-ups/s, "
              f"CPU {statistics.median(r.cpu for r in runs):.1f}% (runs: "
              f"{', '.join(f'{r.cpu:.1f}' for r in runs)}), overflows {sum(r.overflows for r in runs)}, "
              f"real-time {runs[0].realtime}; {load()}")


# -- 3. playback CPU and flush -----------------------------------------------------------------------
def playback_cpu(rate: int) -> float:
    queue = PlaybackQueue(rate)
    chunk = (np.random.default_rng(1).normal(0, 3000, 2400)).astype(np.int16).tobytes()  # 100 ms chunks
    out = np.empty(round(rate * 0.005), np.int16)
    started = time.thread_time()
    for _ in range(SECONDS * 10):
        queue.play(chunk)
        for _ in range(20):
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


# -- 4. the speaker, read back from the pipe sink ----------------------------------------------------
class FifoClock:
    """Reads the virtual speaker's FIFO in a thread and notes when each sample came out."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with contextlib.suppress(BlockingIOError):
            while os.read(self._fd, 1 << 16):  # what was played before this run
                pass
        os.set_blocking(self._fd, True)
        self.chunks: list[tuple[float, np.ndarray]] = []  # (time read, samples)
        self.realtime = False
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with contextlib.suppress(AttributeError, OSError):  # the instrument must not lag the speaker
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
            self.realtime = True
        rest = b""
        while not self._stop:
            data = rest + os.read(self._fd, 1 << 16)
            now = time.monotonic()
            whole = len(data) // 2 * 2
            self.chunks.append((now, np.frombuffer(data[:whole], np.int16)))
            rest = data[whole:]

    def close(self) -> None:
        self._stop = True  # the pipe sink writes every few ms, so the thread sees this promptly
        self._thread.join(timeout=2)
        os.close(self._fd)

    def samples_between(self, start: float, end: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(time each sample came out, samples) for chunks read in [start, end); a chunk's samples
        are timed from its read, one sample period apart."""
        for read_at, samples in list(self.chunks):
            if start <= read_at < end and samples.size:
                yield read_at + np.arange(samples.size) / 24_000, samples


@dataclass
class DeviceRun:
    downlink: list[float] = field(default_factory=list)
    barge: list[float] = field(default_factory=list)
    cut_step: list[float] = field(default_factory=list)  # |last agent sample| / peak at a barge-in
    controls: dict[str, list[float]] = field(default_factory=dict)  # start/abort/stop call, ms
    idle_callbacks: float = 0.0  # callbacks per second between replies
    underflows: int = 0
    glitched: int = 0
    replies: int = 0
    realtime: bool = False
    blocks: str = ""
    load: str = ""


def tone(samples: int) -> np.ndarray:
    wave = (9000 * np.sin(2 * np.pi * 440 * np.arange(samples) / 24_000)).astype(np.int16)
    wave[wave == 0] = 1  # no zero inside the tone, so its first and last samples are easy to find
    return wave


@contextlib.contextmanager
def busy_machine(processes: int, seconds: float) -> Iterator[None]:
    """CPU-bound processes (bounded in time as well, in case this one dies)."""
    code = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    hogs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(processes)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.terminate()
            hog.wait()


async def busy_loop(fraction: float) -> None:
    """Pure-Python work on the event loop (decoding, the live view...) that the audio callback, which
    needs the GIL, has to get past: 2 ms bursts."""
    burst = 0.002
    while True:
        end = time.perf_counter() + burst
        while time.perf_counter() < end:
            pass
        await asyncio.sleep(burst / fraction - burst)


@contextlib.contextmanager
def no_realtime() -> Iterator[bool]:
    yield False


IDLE_STOP_BENCH = 0.1
"""The speaker's idle stop in "restarted" runs (IDLE_STOP_SECONDS in use): the trials wait longer than
this between replies, so each reply starts a stopped stream, as after a long pause."""


async def speaker_run(trials: int, *, loop_busy: float, realtime: bool, mode: str = "running") -> DeviceRun:
    from voicecli.audio import Speaker

    options: dict[str, Any] = {"idle_stop_seconds": None if mode == "running" else IDLE_STOP_BENCH}

    original = getattr(playback, "audio_thread_priority", None)
    if not realtime and original is not None:
        setattr(playback, "audio_thread_priority", no_realtime)  # noqa: B010 - the module's own name
    clock = FifoClock(RUNTIME / "speaker.fifo")
    run = DeviceRun()
    first, reply = tone(2400), tone(24_000)
    try:
        async with Speaker(**options) as speaker, asyncio.TaskGroup() as tasks:
            run.realtime = bool(getattr(speaker, "realtime", False))
            first_block = getattr(speaker, "block_seconds", 0.020)
            burner = tasks.create_task(busy_loop(loop_busy)) if loop_busy else None
            await asyncio.sleep(0.3)
            idle_callbacks, idle_time = 0, 0.0
            for _ in range(trials):  # downlink: a 100 ms reply into an idle speaker
                pause = IDLE_STOP_BENCH + 0.1 + random.uniform(0.05, 0.1)  # any phase of the device's blocks
                callbacks = speaker._callbacks  # counted from each (re)start: read per pause
                await asyncio.sleep(pause)
                idle_callbacks += speaker._callbacks - callbacks
                idle_time += pause
                start = time.monotonic()
                speaker.play(first.tobytes())
                speaker.end_reply()
                await asyncio.sleep(0.25)
                out = [(t, s) for t, s in clock.samples_between(start, start + 0.25)]
                if not out:
                    continue
                times, samples = np.concatenate([t for t, _ in out]), np.concatenate([s for _, s in out])
                nonzero = np.flatnonzero(samples)
                if nonzero.size:
                    run.replies += 1
                    run.downlink.append((times[nonzero[0]] - start) * 1000)
                    played = samples[nonzero[0] : nonzero[0] + first.size]
                    run.glitched += not np.array_equal(played, first)
            run.idle_callbacks = idle_callbacks / idle_time
            for _ in range(trials):  # barge-in: flush mid-reply
                await asyncio.sleep(IDLE_STOP_BENCH + 0.1)
                speaker.play(reply.tobytes())
                await asyncio.sleep(random.uniform(0.1, 0.15))
                start = time.monotonic()
                speaker.flush()
                await asyncio.sleep(0.15)
                out = [(t, s) for t, s in clock.samples_between(start - 0.1, start + 0.15)]
                if out:
                    times, samples = np.concatenate([t for t, _ in out]), np.concatenate([s for _, s in out])
                    nonzero = np.flatnonzero(samples)
                    if nonzero.size:
                        run.barge.append((times[nonzero[-1]] - start) * 1000)
                        run.cut_step.append(abs(int(samples[nonzero[-1]])) / 9000)
            run.underflows = speaker.underflows
            for name, seconds in getattr(speaker, "control_seconds", []):
                run.controls.setdefault(name, []).append(seconds * 1000)
            run.load = load()  # at the end: the 1-minute average lags behind the added load
            run.blocks = f"{first_block * 1000:.0f}->{getattr(speaker, 'block_seconds', 0.020) * 1000:.0f} ms"
            if burner is not None:
                burner.cancel()
    finally:
        clock.close()
        if original is not None:
            setattr(playback, "audio_thread_priority", original)  # noqa: B010
    return run


async def idle_speaker_cpu(mode: str, seconds: float = 4.0) -> float:
    """Process CPU (% of a core) of an open speaker with nothing to play (the event loop does nothing
    else): "running" between turns, "stopped" in a long pause."""
    from voicecli.audio import Speaker

    options: dict[str, Any] = {"idle_stop_seconds": None if mode == "running" else IDLE_STOP_BENCH}
    async with Speaker(**options):
        await asyncio.sleep(1.0)  # past the start and, when it stops, the stop
        cpu, wall = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        return (time.process_time() - cpu) / (time.monotonic() - wall) * 100


def print_speaker(name: str, runs: list[DeviceRun]) -> None:
    def median_of(values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    down50 = median_of([pct(r.downlink, 50) for r in runs])
    down95 = median_of([pct(r.downlink, 95) for r in runs])
    barge50 = median_of([pct(r.barge, 50) for r in runs])
    barge95 = median_of([pct(r.barge, 95) for r in runs])
    underflows = "/".join(str(r.underflows) for r in runs)
    glitched = "/".join(f"{r.glitched}" for r in runs)
    loads = ", ".join(r.load for r in runs)
    down_max = max((max(r.downlink) for r in runs if r.downlink), default=float("nan"))
    slow = sum(d > 50 for r in runs for d in r.downlink)
    print(f"  {name}: downlink p50 {down50:.1f} ms (goal <= 20), p95 {down95:.1f} ms, max {down_max:.1f} ms "
          f"({slow} of {sum(len(r.downlink) for r in runs)} over 50 ms); "
          f"barge-in p50 {barge50:.1f} ms (goal <= 20), p95 {barge95:.1f} ms (goal <= 30)")
    blocks = ", ".join(r.blocks for r in runs)
    print(f"    underflows {underflows} (goal 0), glitched replies {glitched} of {runs[0].replies}, "
          f"device blocks {blocks}, real-time threads {runs[0].realtime}; {loads}")
    steps = [step for r in runs for step in r.cut_step]
    controls = {name: [ms for r in runs for ms in r.controls.get(name, [])] for name in ("start", "abort", "stop")}
    calls = "; ".join(f"{name} p50 {pct(ms, 50):.2f} max {max(ms):.2f} ms (x{len(ms)})"
                      for name, ms in controls.items() if ms)
    print(f"    barge-in cut: last sample p50 {pct(steps, 50):.0%} / max {max(steps, default=0):.0%} of the peak "
          f"(a fade ends near 0%; a hard cut is a click); callbacks/s between replies "
          f"{statistics.median(r.idle_callbacks for r in runs):.0f} (goal 0); loop calls: {calls or 'none'}")


def device_available() -> bool:
    return subprocess.run(["pactl", "info"], capture_output=True, check=False).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=30, help="replies per speaker figure")
    parser.add_argument("--repeat", type=int, default=1, help="device runs per condition (medians)")
    parser.add_argument("--busy", type=int, default=(os.cpu_count() or 2) + 1,
                        help="CPU-bound processes for the busy runs")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}, "
          f"{load()} at start (shared: others may be using the CPU)")
    print_capture_simulated()
    print("playback CPU (ring + reply bookkeeping, 5 ms device blocks, ms per second of audio):")
    for rate in (24_000, 48_000):
        print(f"  device at {rate} Hz: {playback_cpu(rate):.3f}")
    p50, p95 = flush_time()
    print(f"barge-in flush() call: p50 {p50:.1f} us, p95 {p95:.1f} us (30 s queued)")
    if not device_available():
        print("device figures: skipped (no virtual audio server: bash scripts/virtual-audio.sh start)")
        return
    print_capture_on_device()
    print("speaker CPU with nothing to play (open; process CPU, % of one core, runs):")
    for mode in ("running", "stopped"):
        runs = [asyncio.run(idle_speaker_cpu(mode)) for _ in range(3)]
        print(f"  {mode}: {statistics.median(runs):.2f}% ({', '.join(f'{r:.2f}' for r in runs)}); {load()}")
    print(f"speaker, read back from {RUNTIME / 'speaker.fifo'} ({args.trials} replies per figure, "
          f"{args.repeat} run(s) per condition, medians across runs; \"restarted\": each reply starts a "
          f"stopped stream):")
    for mode in ("running", "restarted"):
        quiet = [asyncio.run(speaker_run(args.trials, loop_busy=LOOP_BUSY, realtime=True, mode=mode))
                 for _ in range(args.repeat)]
        print_speaker(f"{mode}, quiet (no load added, loop {LOOP_BUSY:.0%} busy)", quiet)
    span = args.trials * 0.8 * args.repeat + 30
    with busy_machine(args.busy, span):
        idle_loop = [asyncio.run(speaker_run(args.trials, loop_busy=0, realtime=True)) for _ in range(args.repeat)]
    print_speaker(f"running, busy ({args.busy} CPU-bound processes, loop idle)", idle_loop)
    for mode in ("running", "restarted"):
        with busy_machine(args.busy, span):
            busy = [asyncio.run(speaker_run(args.trials, loop_busy=LOOP_BUSY, realtime=True, mode=mode))
                    for _ in range(args.repeat)]
        print_speaker(f"{mode}, busy ({args.busy} CPU-bound processes, loop {LOOP_BUSY:.0%} busy)", busy)
    with busy_machine(args.busy, span):
        plain = [asyncio.run(speaker_run(args.trials, loop_busy=LOOP_BUSY, realtime=False))
                 for _ in range(args.repeat)]
    print_speaker("running, busy, stream threads at normal priority (no RLIMIT_RTPRIO)", plain)


if __name__ == "__main__":
    main()
