"""The conversation engine's own cost: reply latency with an instant emulator, and CPU share.

1. End of user speech (the ActivityEnd the client sends) -> first agent audio sample handed to the
   output, with the emulator answering at once (speech pre-synthesized, speed 0): the client's
   overhead through the real SDK, p50/p95 over many turns.
2. CPU share of one core used by `voicecli talk` during a two-minute live conversation on the
   virtual sound devices, with the emulator in another process (so only the client is measured).

Prints figures; asserts nothing. `--minutes` shortens the second part.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
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


def cpu_share(minutes: float, work: Path) -> tuple[float, float] | None:
    """(CPU seconds of `voicecli talk` / wall seconds, wall seconds) for a live conversation.

    The real product path: the microphone and speaker are the virtual PulseAudio devices
    (`scripts/virtual-audio.sh`), a user line is played into the mic every 12 s, the emulator
    runs in its own process at real-time pace. None when no virtual audio is available.
    """
    if subprocess.run(["pactl", "info"], capture_output=True, check=False).returncode != 0:
        return None
    line_wav = work / "line.wav"
    subprocess.run(["espeak-ng", "-w", str(line_wav), USER_LINE], check=True)
    env = {**os.environ, "VOICECLI_HOME": str(work / "home")}
    with emulator_process("--speed", "1", "--no-recognition", env=env) as exports:
        started = time.monotonic()
        client = subprocess.Popen(
            [sys.executable, "-m", "voicecli", "talk", "--persona", "laura", "--quiet", "--timeout",
             str(minutes * 60)],
            env={**env, **exports}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        while client.poll() is None and time.monotonic() - started < minutes * 60 - 12:
            time.sleep(12)
            subprocess.run(["paplay", "-d", "micfeed", str(line_wav)], check=False)
        _, _, usage = os.wait4(client.pid, 0)
        wall = time.monotonic() - started
    return (usage.ru_utime + usage.ru_stime) / wall, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--minutes", type=float, default=2.0)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        latencies = sorted(asyncio.run(reply_latency(args.turns, work)))[1:]  # first turn warms caches
        p50 = statistics.median(latencies) * 1000
        p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
        print(f"reply latency, end of speech -> first audio to output, instant emulator ({len(latencies)} turns): "
              f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        measured = cpu_share(args.minutes, work)
        if measured is None:
            print("talk CPU: skipped (no virtual audio server; run `bash scripts/virtual-audio.sh start`)")
            return
        share, wall = measured
        print(f"talk CPU, microphone and speaker live, during a {wall / 60:.1f}-minute conversation: "
              f"{share * 100:.1f}% of one core, start-up included (goal: under 5%)")


if __name__ == "__main__":
    main()
