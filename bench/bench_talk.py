"""The conversation engine's own cost: reply latency with an instant emulator, and CPU share.

1. End of user speech (the ActivityEnd the client sends) -> first agent audio sample handed to the
   output, with the emulator answering at once (speech pre-synthesized, speed 0): the client's
   overhead through the real SDK, p50/p95 over many turns.
2. CPU share of one core used by `voicecli talk` during a live conversation on the virtual sound
   devices (server activity detection, the Rich view on a pseudo-terminal), with the emulator in
   another process (so only the client is measured), for 20 ms and 40 ms messages (`--chunk-ms`).
   Process CPU time (user + system) over wall time, so other work on the machine changes it little;
   each figure is the median of `--repeat` runs, printed with the load average.

Prints figures with the goals beside them; asserts nothing. `--minutes` shortens the second part.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.conftest import emulator_process  # noqa: E402
from tests.e2e.resilience_harness import NullSink  # noqa: E402
from voicecli import events as ev  # noqa: E402
from voicecli.agent import Conversation, ScriptTurn, split_frames  # noqa: E402
from voicecli.emulator import Emulator  # noqa: E402
from voicecli.live.backends import Credentials, make_client  # noqa: E402
from voicecli.live.config import TalkSettings, build_live_config  # noqa: E402
from voicecli.live.connection import LiveConnection  # noqa: E402
from voicecli.persona import load_persona  # noqa: E402
from voicecli.speech.tts import synthesize  # noqa: E402
from voicecli.tools import ToolRuntime  # noqa: E402

REPLY = "Okay."
USER_LINE = "This is one more thing I would like to say."


async def reply_latency(turns: int, work: Path) -> list[float]:
    scenario = work / "instant.scenario.yaml"
    steps = "\n".join(f'  - user: "{USER_LINE}"\n    say: "{REPLY}"' for _ in range(turns))
    scenario.write_text(f"name: instant\nsteps:\n{steps}\n")
    cached = synthesize(REPLY, rate=24_000)
    persona = load_persona(REPO / "personas" / "laura.yaml")
    from voicecli.audio import LocalVad

    # The client's own latency: a scripted emulator that neither recognises speech nor synthesises it.
    async with Emulator(ca_dir=work / "ca", scenario=scenario, speed=0, synthesize=lambda _t: cached,
                        recognition=False) as emu:
        client = make_client(Credentials("developer", api_key="k", base_url=emu.base_url, ca_file=emu.ca_file,
                                         offline=True))
        conversation = Conversation(persona=persona, tools=ToolRuntime(persona), sink=NullSink(),
                                    notify=lambda _e: None, greeting=False)

        def config_for(handle: str | None, context: str | None) -> Any:
            return build_live_config(persona, TalkSettings(vad="local", resumption_handle=handle))

        async def connect(conv: Conversation) -> None:
            await LiveConnection(client, "gemini-3.8-live", config_for, conv.outgoing, conv.on_server_event,
                                 conv.on_connection_event, transparent=False).run()

        frames = split_frames(synthesize(USER_LINE, rate=ev.FRAME_RATE))
        script = [ScriptTurn(label=str(i), frames=frames) for i in range(turns)]
        await conversation.run_script(connect, script, realtime=False, gate=LocalVad(), timeout_s=600)
    return conversation.stats.latencies


CPU_GOALS = {20: 0.08, 40: 0.05}
LINE_EVERY_S = 12.0
WARM_UP_S = 8.0


def audio_available() -> bool:
    return subprocess.run(["pactl", "info"], capture_output=True, check=False).returncode == 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process, all its threads (PortAudio's and libpulse's too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_share(minutes: float, work: Path, chunk_ms: int, aec: bool = False) -> tuple[float, float]:
    """(steady share of one core, start-up CPU seconds) of `voicecli talk` in a live conversation.

    The real product path: the microphone and speaker are the virtual PulseAudio devices
    (`scripts/virtual-audio.sh`), a user line is played into the mic every 12 s, the emulator
    runs in its own process at real-time pace, and talk draws its Rich view on a pseudo-terminal
    (read and thrown away here). The steady share is process CPU time over wall time from
    ``WARM_UP_S`` after launch (connected, greeting under way) to just before the run ends.
    """
    line_wav = work / "line.wav"
    if not line_wav.exists():
        subprocess.run(["espeak-ng", "-w", str(line_wav), USER_LINE], check=True)
    env = {**os.environ, "VOICECLI_HOME": str(work / "home")}
    seconds = minutes * 60
    with emulator_process("--speed", "1", "--no-recognition", env=env) as exports:
        primary, secondary = pty.openpty()
        started = time.monotonic()
        client = subprocess.Popen(
            [sys.executable, "-m", "voicecli", "talk", "--persona", "laura", "--vad", "server",
             "--chunk-ms", str(chunk_ms), "--timeout", str(seconds + WARM_UP_S + 5),
             "--aec" if aec else "--no-aec"],
            env={**env, **exports, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"},
            stdin=secondary, stdout=secondary, stderr=secondary,
        )
        os.close(secondary)
        next_line = started + 3.0
        warm: tuple[float, float] | None = None
        steady = 0.0
        while client.poll() is None:
            if select.select([primary], [], [], 0.2)[0]:
                with contextlib.suppress(OSError):
                    os.read(primary, 65536)
            now = time.monotonic()
            if now >= next_line:
                subprocess.Popen(["paplay", "-d", "micfeed", str(line_wav)])
                next_line += LINE_EVERY_S
            if warm is None and now - started >= WARM_UP_S:
                warm = (now, _cpu_seconds(client.pid))
            elif warm is not None and now - warm[0] >= seconds:
                steady = (_cpu_seconds(client.pid) - warm[1]) / (now - warm[0])
                break
        client.terminate()
        client.wait()
        os.close(primary)
    if warm is None or not steady:
        raise RuntimeError("voicecli talk ended before the measurement did")
    return steady, warm[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3, help="CPU runs per chunk size (median printed)")
    parser.add_argument("--chunks", default="20,40", help="message lengths to measure, in ms")
    parser.add_argument("--aec", action="store_true",
                        help="with the echo canceller (the goals are for the client without it, like for like "
                             "with the peers; with it the speaker's stream also runs between replies)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        latencies = sorted(asyncio.run(reply_latency(args.turns, work)))[1:]  # first turn warms caches
        p50 = statistics.median(latencies) * 1000
        p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
        print(f"reply latency, end of speech -> first audio to output, instant emulator ({len(latencies)} turns): "
              f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        if not audio_available():
            print("talk CPU: skipped (no virtual audio server; run `bash scripts/virtual-audio.sh start`)")
            return
        print(f"talk CPU: mic and speaker live, server VAD, Rich view, echo canceller "
              f"{'on (--aec)' if args.aec else 'off (--no-aec)'}; {args.minutes:g} minute(s) of conversation "
              f"after {WARM_UP_S:g} s of start-up; process CPU time / wall time, median of {args.repeat}")
        for chunk_ms in (int(c) for c in args.chunks.split(",")):
            runs = [cpu_share(args.minutes, work, chunk_ms, args.aec) for _ in range(args.repeat)]
            shares = [share for share, _ in runs]
            median = statistics.median(shares)
            goal = CPU_GOALS.get(chunk_ms)
            verdict = "" if goal is None else (
                f" (goal: <= {goal * 100:.0f}%: {'met' if median <= goal else 'NOT met'})")
            print(f"  --chunk-ms {chunk_ms}: {median * 100:.1f}% of one core{verdict}; runs "
                  f"{', '.join(f'{x * 100:.1f}' for x in shares)}; capture adds {chunk_ms} ms before a "
                  f"frame is sent (its first sample waits for its last); start-up "
                  f"{statistics.median(c for _, c in runs):.1f} CPU s; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
