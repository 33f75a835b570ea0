"""The echo canceller on real devices: a speaker looped back into a microphone (scripts/echo-loop.sh).

Used by the device test and bench: the agent's speech plays through ``Speaker``, PulseAudio brings it
back into the microphone late and quieter, the user's voice is fed into the same microphone at a chosen
moment, and every microphone frame is kept both raw and cleaned, with the moment it arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from voicecli.audio.aec import EchoCanceller, speaker_tap
from voicecli.audio.aec_room import activity_starts, audible_frames
from voicecli.events import FRAME_RATE, FRAME_SAMPLES, OUTPUT_RATE

if TYPE_CHECKING:
    from voicecli.audio.playback import Speaker

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "echo-loop.sh"
MIC_FEED_RATE = 48_000
BOUND_SECONDS = 15.0
"""A run ends this long after it should have, whatever the devices do."""


class LoopUnavailable(RuntimeError):
    """The echo loop could not be set up (no PulseAudio server, or the script is not there)."""


@contextlib.contextmanager
def echo_loop(name: str, *, delay_ms: int = 60, gain_db: float = -6.0) -> Iterator[str]:
    """Creates the loop's own devices, points this process's new streams at them (PULSE_SINK /
    PULSE_SOURCE), and removes both afterwards. Yields the sink that feeds the microphone."""
    if not SCRIPT.exists():
        raise LoopUnavailable(f"{SCRIPT} is not there (run from a source checkout)")
    started = subprocess.run(["bash", str(SCRIPT), "start", name, str(delay_ms), f"{gain_db:g}"],
                             capture_output=True, text=True, check=False)
    if started.returncode != 0:
        raise LoopUnavailable((started.stdout + started.stderr).strip())
    saved = {key: os.environ.get(key) for key in ("PULSE_SINK", "PULSE_SOURCE")}
    os.environ["PULSE_SINK"], os.environ["PULSE_SOURCE"] = f"{name}_spk", f"{name}_mic.monitor"
    try:
        yield f"{name}_mic"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        subprocess.run(["bash", str(SCRIPT), "stop", name], capture_output=True, check=False)


@dataclass
class LoopRun:
    raw: list[bytes] = field(default_factory=list)
    cleaned: list[bytes] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    """time.monotonic() at which each frame came out of the microphone."""
    user_at: float | None = None
    """When the user's voice was handed to the sound server."""
    user_seconds: float = 0.0
    underflows: int = 0
    overflows: int = 0
    timed_out: bool = False
    delay_estimate_s: float | None = None
    """The canceller's bulk delay estimate at the end."""
    estimates: list[tuple[int, float | None]] = field(default_factory=list)
    """(frame, bulk delay estimate) whenever it changed."""

    def frames_between(self, start: float, end: float) -> list[int]:
        return [i for i, t in enumerate(self.arrived) if start <= t < end]


async def run_loop(feed_sink: str, agent24k: npt.NDArray[np.int16], user48k: npt.NDArray[np.int16],
                   *, user_after_s: float, canceller_factory: Callable[..., EchoCanceller] = EchoCanceller,
                   tail_s: float = 1.0) -> LoopRun:
    """Plays ``agent24k`` and, ``user_after_s`` after it starts, feeds ``user48k`` into the microphone."""
    from voicecli.audio import Microphone, Speaker

    run = LoopRun()
    # 20 ms blocks: the rig measures the canceller, and a speaker that runs dry (5 ms blocks on a busy
    # machine) would make the run void. The canceller itself follows whatever block size plays.
    async with Speaker(block_seconds=0.020) as speaker, Microphone() as mic:
        canceller = canceller_factory(reference_rate=speaker.samplerate)
        speaker.on_played = speaker_tap(canceller, lambda: speaker.latency)

        async def listen() -> None:
            async for frame in mic.frames():
                run.raw.append(frame)
                run.cleaned.append(canceller.process(frame))
                run.arrived.append(time.monotonic())
                if not run.estimates or run.estimates[-1][1] != canceller.delay_estimate_s:
                    run.estimates.append((len(run.raw) - 1, canceller.delay_estimate_s))

        listener = asyncio.create_task(listen())
        try:
            # Bounded: a stalled device ends the run early (the caller sees too few frames).
            async with asyncio.timeout(agent24k.size / OUTPUT_RATE + user_after_s + BOUND_SECONDS):
                await _play_and_talk(speaker, feed_sink, agent24k, user48k=user48k,
                                     user_after_s=user_after_s, run=run)
                await asyncio.sleep(tail_s)
        except TimeoutError:
            run.timed_out = True
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        run.underflows, run.overflows = speaker.underflows, mic.overflows
        run.delay_estimate_s = canceller.delay_estimate_s
    return run


async def _play_and_talk(speaker: Speaker, feed_sink: str, agent24k: npt.NDArray[np.int16], *,
                         user48k: npt.NDArray[np.int16], user_after_s: float, run: LoopRun) -> None:
    await asyncio.sleep(0.3)  # the microphone's first blocks arrive ~0.25 s after it starts
    speaker.play(agent24k.tobytes())
    speaker.end_reply()
    await asyncio.sleep(user_after_s)
    feeder = await asyncio.create_subprocess_exec(
        "pacat", "-d", feed_sink, "--raw", "--format=s16le", f"--rate={MIC_FEED_RATE}", "--channels=1",
        "--latency-msec=20", stdin=asyncio.subprocess.PIPE,
    )
    run.user_at, run.user_seconds = time.monotonic(), user48k.size / MIC_FEED_RATE
    assert feeder.stdin is not None
    try:
        feeder.stdin.write(user48k.tobytes())
        await feeder.stdin.drain()
        feeder.stdin.close()
        await feeder.wait()
    finally:
        if feeder.returncode is None:
            feeder.kill()
            await feeder.wait()
    await speaker.drain()


@dataclass
class LoopScore:
    erle_db: float
    echo_only_seconds: float
    false_barge_ins: int
    """Detector starts on the cleaned frames before the user spoke: the agent interrupting itself."""
    barge_in_after_s: float | None
    """Seconds from the user's first word handed to the sound server to the detector's start."""
    raw_false_starts: int
    """The same detector on the raw microphone, before the user spoke (what happens without AEC)."""


def score_loop(run: LoopRun, *, skip_s: float = 3.0) -> LoopScore:
    """ERLE over frames where only the agent is heard (from ``skip_s`` on), barge-ins on the cleaned frames."""
    user_at = run.user_at if run.user_at is not None else float("inf")
    first = run.arrived[0] if run.arrived else 0.0
    raw = np.frombuffer(b"".join(run.raw), np.int16)
    cleaned = np.frombuffer(b"".join(run.cleaned), np.int16)
    audible = audible_frames(raw)
    echo_only = np.array([first + skip_s <= t < user_at for t in run.arrived], bool) & audible
    mic_f = raw.astype(np.float64).reshape(-1, FRAME_SAMPLES)[echo_only]
    out_f = cleaned.astype(np.float64).reshape(-1, FRAME_SAMPLES)[echo_only]
    erle = 10 * math.log10(max(float(np.mean(mic_f**2)) if mic_f.size else 0.0, 1e-9)
                           / max(float(np.mean(out_f**2)) if out_f.size else 0.0, 1e-9))
    starts = [run.arrived[i] for i in activity_starts(run.cleaned)]
    raw_starts = [run.arrived[i] for i in activity_starts(run.raw)]
    after = [t - user_at for t in starts if user_at <= t <= user_at + run.user_seconds + 0.5]
    return LoopScore(
        erle_db=erle,
        echo_only_seconds=float(echo_only.sum()) * FRAME_SAMPLES / FRAME_RATE,
        false_barge_ins=sum(t < user_at for t in starts),
        barge_in_after_s=after[0] if after else None,
        raw_false_starts=sum(t < user_at for t in raw_starts),
    )
