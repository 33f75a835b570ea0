"""`make bench-peers`: voicecli beside pipecat and LiveKit, on one emulator and one sound device.

Installs pipecat (`pipecat-ai[google,local]`) and LiveKit's agents console with the Google realtime
plugin, each in its own venv under the cache folder, then runs their minimal desktop apps
(peers/apps/: local audio + Gemini Live, configured only through what each framework exposes) and
`voicecli talk` one after the other against the same `voicecli emulator` (a scenario whose every
reply is the same sentence, real-time speech) on the same private virtual PulseAudio device.

This process owns the clock (`time.time()`, the clock of the emulator's `--record` lines): it plays
the same espeak-ng speech into the virtual microphone, reads the speaker pipe, and reads the record
file for the server-side moments. Per client:
- reply latency: end of speech at the mic -> the reply's first sample at the speaker (p50/p95);
- downlink: the emulator's first audio frame of the reply -> its first sample at the speaker (p50);
- barge-in: the emulator's `interrupted` -> the last agent sample at the speaker (p50/p95);
- CPU: the client's process tree over the conversation (greeting excluded), % of one core;
- launch -> connected: process start -> the emulator's `setupComplete` for it.
A sample's time is that of the first loud sample (|x| > 64) less the reply's known quiet lead-in.

Prints a table with each figure's ratio to voicecli; `--write-docs` keeps it in docs/performance.md.
Asserts nothing: exit 0 unless a client could not be run at all.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from harness import (
    FRAMEWORKS,
    LOUD,
    REPO,
    SPEAKER_RATE,
    VOICECLI,
    App,
    Emulator,
    Mic,
    Speaker,
    ensure_venv,
    framework_app,
    is_agent_audio,
    is_interrupted,
    is_setup_complete,
    is_turn_complete,
    log,
    machine,
    package_version,
    private_audio,
    replace_between,
    speech,
    voicecli_app,
    workdir,
)

REPLY = "Here is the answer: the morning train leaves at eight every weekday."
QUESTION = "What time does the morning train leave on weekdays?"
BARGE = "Wait, stop please."
BARGE_AFTER_S = 1.0  # into the reply
CLIENTS = ("voicecli", "pipecat", "livekit")
DOCS = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- bench-peers:begin -->", "<!-- bench-peers:end -->"


def reply_lead_in() -> float:
    """Seconds of quiet before the first loud sample of the emulator's reply (same synthesis)."""
    sys.path.insert(0, str(REPO))
    from voicecli.speech.tts import synthesize

    samples = np.frombuffer(synthesize(REPLY, rate=SPEAKER_RATE), np.int16).astype(np.int32)
    return float(np.flatnonzero(np.abs(samples) > LOUD)[0] / SPEAKER_RATE)


def recognition_optional() -> bool:
    out = subprocess.run([str(VOICECLI), "emulator", "--help"], capture_output=True, text=True, check=False)
    return "--no-recognition" in out.stdout


@dataclass
class Figures:
    client: str
    version: str = ""
    reply: list[float] = field(default_factory=list)
    downlink: list[float] = field(default_factory=list)
    barge: list[float] = field(default_factory=list)
    cpu: float = float("nan")
    connected: float = float("nan")
    notes: list[str] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


class Bench:
    def __init__(self, emulator: Emulator, mic: Mic, speaker: Speaker, work: Path, lead_in: float) -> None:
        self.emulator, self.mic, self.speaker, self.work, self.lead_in = emulator, mic, speaker, work, lead_in
        self.question = speech(QUESTION, work)
        self.barge = speech(BARGE, work)

    def wait_sound(self, after: float, timeout: float) -> float | None:
        end = time.time() + timeout
        while time.time() < end:
            first = self.speaker.first_sound(after, time.time())
            if first is not None:
                return first - self.lead_in
            time.sleep(0.02)
        return None

    def settle(self, conn: int, after: float) -> None:
        self.emulator.wait_for(is_turn_complete, after=after, conn=conn, timeout=30)
        self.speaker.wait_quiet(after, 0.8, timeout=20)

    def run(self, app: App, turns: int, barges: int) -> Figures:
        figures = Figures(app.name)
        app.launch()
        try:
            ready = self.emulator.wait_for(is_setup_complete, after=app.launched, timeout=120)
            if ready is None:
                figures.notes.append("never connected")
                log(f"{app.name}: never connected; log:\n{app.log_tail()}")
                return figures
            conn = ready["conn"]
            figures.connected = ready["t"] - app.launched
            self.settle(conn, ready["t"])  # the opening greeting
            cpu0, wall0 = app.cpu_seconds(), time.time()
            for turn in range(turns):
                self.turn(app, conn, figures, turn)
            for barge in range(barges):
                self.barge_in(app, conn, figures, barge)
            cpu1, wall1 = app.cpu_seconds(), time.time()
            if app.alive():
                figures.cpu = (cpu1 - cpu0) / (wall1 - wall0) * 100
            else:
                figures.notes.append("exited during the run")
        finally:
            app.stop()
        return figures

    def turn(self, app: App, conn: int, figures: Figures, index: int) -> None:
        time.sleep(random.uniform(0.2, 0.5))  # any phase of the devices' blocks
        end_of_speech = self.mic.say(self.question)(30)
        if end_of_speech is None:
            figures.notes.append(f"turn {index}: the microphone did not play")
            return
        first_frame = self.emulator.wait_for(is_agent_audio, after=end_of_speech, conn=conn, timeout=20)
        first_sample = self.wait_sound(end_of_speech, timeout=20)
        if first_frame is None or first_sample is None:
            figures.notes.append(f"turn {index}: no reply" + (" at the speaker" if first_frame else ""))
        else:
            figures.reply.append((first_sample - end_of_speech) * 1000)
            figures.downlink.append((first_sample - first_frame["t"]) * 1000)
        self.settle(conn, end_of_speech)

    def barge_in(self, app: App, conn: int, figures: Figures, index: int) -> None:
        time.sleep(random.uniform(0.2, 0.5))
        end_of_speech = self.mic.say(self.question)(30)
        first_sample = self.wait_sound(end_of_speech, timeout=20) if end_of_speech else None
        if first_sample is None:
            figures.notes.append(f"barge-in {index}: no reply to interrupt")
            return
        time.sleep(max(0.0, first_sample + BARGE_AFTER_S + random.uniform(0, 0.3) - time.time()))
        self.mic.say(self.barge)
        interrupted = self.emulator.wait_for(is_interrupted, after=first_sample, conn=conn, timeout=15)
        if interrupted is None:
            figures.notes.append(f"barge-in {index}: no interrupted from the emulator")
            self.settle(conn, first_sample)
            return
        # The emulator answers the barge-in too: what plays before that answer's first frame is sent
        # (it cannot reach the speaker earlier) is the interrupted reply.
        next_reply = self.emulator.wait_for(is_agent_audio, after=interrupted["t"] + 0.001, conn=conn, timeout=15)
        window_end = next_reply["t"] if next_reply else interrupted["t"] + 2.0
        while time.time() < window_end + 0.3:
            time.sleep(0.05)
        last = self.speaker.last_sound(first_sample, window_end)
        if last is not None:
            figures.barge.append((last - interrupted["t"]) * 1000)
        self.settle(conn, interrupted["t"])


def make_app(name: str, work: Path, env: dict[str, str]) -> App:
    if name == "voicecli":
        return voicecli_app(work, env)
    return framework_app(FRAMEWORKS[name], work, env)


def version_of(name: str) -> str:
    if name == "voicecli":
        from importlib.metadata import version

        return f"voicecli {version('voicecli')}"
    if name == "pipecat":
        return f"pipecat-ai {package_version(FRAMEWORKS[name], 'pipecat-ai')}"
    framework = FRAMEWORKS[name]
    return (f"livekit-agents {package_version(framework, 'livekit-agents')} + "
            f"livekit-plugins-google {package_version(framework, 'livekit-plugins-google')}")


def table(results: list[Figures]) -> str:
    base = next((f for f in results if f.client == "voicecli"), None)
    columns: list[tuple[str, Callable[[Figures], float], str]] = [
        ("reply p50 ms", lambda f: pct(f.reply, 50), "{:.0f}"),
        ("reply p95 ms", lambda f: pct(f.reply, 95), "{:.0f}"),
        ("downlink p50 ms", lambda f: pct(f.downlink, 50), "{:.0f}"),
        ("barge-in p50 ms", lambda f: pct(f.barge, 50), "{:.0f}"),
        ("barge-in p95 ms", lambda f: pct(f.barge, 95), "{:.0f}"),
        ("CPU % of a core", lambda f: f.cpu, "{:.1f}"),
        ("launch -> connected s", lambda f: f.connected, "{:.2f}"),
    ]
    lines = ["| client | " + " | ".join(name for name, _, _ in columns) + " |", "|---" * (1 + len(columns)) + "|"]
    for figures in results:
        cells = []
        for _, get, fmt in columns:
            value = get(figures)
            cell = "n/a" if math.isnan(value) else fmt.format(value)
            if base is not None and figures is not base and not math.isnan(value):
                reference = get(base)
                if not math.isnan(reference) and reference > 0:
                    cell += f" ({value / reference:.2f}x)"
            cells.append(cell)
        lines.append(f"| {figures.client} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--client", choices=CLIENTS, action="append", help="only this client (repeatable)")
    parser.add_argument("--turns", type=int, default=8, help="replies per client")
    parser.add_argument("--barge-ins", type=int, default=4, help="barge-ins per client")
    parser.add_argument("--write-docs", action="store_true", help="keep the table in docs/performance.md")
    args = parser.parse_args()
    clients = args.client or list(CLIENTS)
    started = time.monotonic()
    for name in clients:
        if name != "voicecli":
            ensure_venv(FRAMEWORKS[name])
    lead_in = reply_lead_in()
    results: list[Figures] = []
    with private_audio() as audio_env, workdir() as work:
        scenario = work / "bench.scenario.yaml"
        scenario.write_text(f'name: bench\nsteps: []\nfallback:\n  say: "{REPLY}"\n')
        options = ["--scenario", str(scenario), "--speed", "1"]
        if recognition_optional():
            options.append("--no-recognition")  # every reply is scripted: recognising only adds CPU load
        emulator = Emulator(work, *options)
        speaker, mic = Speaker(), Mic(audio_env)
        bench = Bench(emulator, mic, speaker, work, lead_in)
        load = []
        try:
            for name in clients:
                log(f"== {name}")
                load.append(os.getloadavg()[0])
                figures = bench.run(make_app(name, work, {**audio_env, **emulator.app_env()}), args.turns,
                                    args.barge_ins)
                figures.version = version_of(name)
                results.append(figures)
                log(f"   reply {[round(v) for v in figures.reply]} ms, downlink {[round(v) for v in figures.downlink]}"
                    f" ms, barge-in {[round(v) for v in figures.barge]} ms, CPU {figures.cpu:.1f} %, "
                    f"connected {figures.connected:.2f} s {'; '.join(figures.notes)}")
        finally:
            mic.close()
            speaker.close()
            emulator.close()
    took = time.monotonic() - started
    result = table(results)
    versions = "; ".join(f"{f.client}: {f.version}" for f in results)
    notes = "; ".join(f"{f.client}: {', '.join(f.notes)}" for f in results if f.notes)
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = (f"{when}, {machine()}; {args.turns} replies and {args.barge_ins} barge-ins per client; "
              f"load average at each client's start {', '.join(f'{v:.1f}' for v in load)}; "
              f"the run took {took / 60:.1f} min")
    print(result)
    print(header)
    print(f"versions: {versions}")
    if notes:
        print(f"notes: {notes}")
    if args.write_docs:
        body = f"Latest run: {header}.\n\n{result}\n\nVersions: {versions}.\n"
        body += f"\nNotes: {notes}.\n" if notes else ""
        replace_between(DOCS, BEGIN, END, body)
        print(f"table kept in {DOCS.relative_to(REPO)}")
    return 0 if results and all(f.reply for f in results) else 1


if __name__ == "__main__":
    sys.exit(main())
