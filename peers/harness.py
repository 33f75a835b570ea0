"""What `make conformance` and `make bench-peers` share: framework venvs, a private virtual sound
device, `voicecli emulator` in its own process, the speech played into the microphone, the speaker
read back, the emulator's frame records, and the client apps as processes.

Runs in voicecli's own venv (numpy) and imports nothing of voicecli: the emulator and `voicecli talk`
are run as a user runs them. One clock for everything: `time.time()`, the clock of the emulator's
`--record` lines, so the harness, the speaker pipe and the server-side moments line up.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PEERS = REPO / "peers"
APPS = PEERS / "apps"
CACHE = Path(os.environ.get("VOICECLI_PEERS_CACHE", REPO / ".cache" / "peers"))
VOICECLI = REPO / ".venv" / "bin" / "voicecli"
# A PulseAudio server of our own (scripts/virtual-audio.sh in another runtime dir), so that tests and
# benches others run on the shared one neither hear our speech nor play into our speaker.
AUDIO_RUNTIME = Path(os.environ.get("VOICECLI_PEERS_AUDIO", f"/tmp/voicecli-peers-audio-{os.getuid()}"))
MIC_RATE = 48_000
SPEAKER_RATE = 24_000
LOUD = 64  # |sample| above this at the speaker is agent sound (silence and PulseAudio ramps are below)

Record = dict[str, Any]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- framework environments -------------------------------------------------------------------------
@dataclass(frozen=True)
class Framework:
    name: str  # pipecat | livekit
    requirements: Path
    app: list[str]  # argv after the venv's python

    @property
    def venv(self) -> Path:
        return CACHE / self.name

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


FRAMEWORKS = {
    "pipecat": Framework("pipecat", PEERS / "requirements-pipecat.txt", [str(APPS / "pipecat_app.py")]),
    "livekit": Framework("livekit", PEERS / "requirements-livekit.txt", [str(APPS / "livekit_app.py"), "console"]),
}


def ensure_venv(framework: Framework) -> None:
    """Create the framework's venv under the cache folder and install its pinned requirements,
    unless a venv built from the same requirements file is already there."""
    digest = hashlib.sha256(framework.requirements.read_bytes()).hexdigest()
    stamp = framework.venv / ".requirements.sha256"
    if stamp.exists() and stamp.read_text() == digest and framework.python.exists():
        return
    log(f"installing {framework.name} into {framework.venv} (first run: a few minutes)")
    started = time.monotonic()
    subprocess.run(["nice", sys.executable, "-m", "venv", "--clear", str(framework.venv)], check=True)
    pip = [str(framework.python), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(["nice", *pip, "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run(["nice", *pip, "install", "--quiet", "-r", str(framework.requirements)], check=True)
    stamp.write_text(digest)
    log(f"installed {framework.name} in {time.monotonic() - started:.0f} s")


def package_version(framework: Framework, distribution: str) -> str:
    out = subprocess.run([str(framework.python), "-c",
                          f"from importlib.metadata import version; print(version({distribution!r}))"],
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() or "?"


# -- the private sound device ---------------------------------------------------------------------
@contextlib.contextmanager
def private_audio() -> Iterator[dict[str, str]]:
    """A PulseAudio server of our own with the virtual mic and speaker; yields the environment its
    clients need. Stopped on the way out if this call started it."""
    env = {**os.environ, "XDG_RUNTIME_DIR": str(AUDIO_RUNTIME)}
    script = REPO / "scripts" / "virtual-audio.sh"
    already = subprocess.run(["pactl", "info"], env=env, capture_output=True, check=False).returncode == 0
    out = subprocess.run(["bash", str(script), "start"], env=env, capture_output=True, text=True, check=False)
    if subprocess.run(["pactl", "info"], env=env, capture_output=True, check=False).returncode != 0:
        raise RuntimeError(f"no virtual sound device: {out.stdout.strip() or out.stderr.strip()}")
    try:
        yield {"XDG_RUNTIME_DIR": str(AUDIO_RUNTIME)}
    finally:
        if not already:
            subprocess.run(["bash", str(script), "stop"], env=env, capture_output=True, check=False)


# -- speech -----------------------------------------------------------------------------------------
def speech(text: str, work: Path, *, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """espeak-ng speech at the microphone's rate (int16 mono)."""
    name = hashlib.sha1(f"{voice}|{speed}|{text}".encode()).hexdigest()[:12]
    raw, mic = work / f"{name}-22k.wav", work / f"{name}-48k.wav"
    if not mic.exists():
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-r", str(MIC_RATE), "-c", "1", "-b", "16", str(mic)], check=True)
    with wave.open(str(mic)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), np.int16).copy()


class Mic:
    """Feeds the virtual microphone (`pacat -d micfeed`) without pause: silence, or speech when asked,
    in 10 ms blocks paced by this process's clock, so the time each block goes in is known."""

    BLOCK = MIC_RATE // 100

    def __init__(self, env: dict[str, str]) -> None:
        self._pacat = subprocess.Popen(
            ["pacat", "-d", "micfeed", "--raw", "--format=s16le", f"--rate={MIC_RATE}", "--channels=1",
             "--latency-msec=20"], stdin=subprocess.PIPE, env={**os.environ, **env})
        self._queue: list[tuple[np.ndarray, threading.Event, list[float]]] = []
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True, name="mic")
        self._thread.start()

    def _run(self) -> None:
        assert self._pacat.stdin is not None
        silence = np.zeros(self.BLOCK, np.int16).tobytes()
        deadline = time.monotonic()
        current: tuple[np.ndarray, threading.Event, list[float]] | None = None
        offset = 0
        while not self._stop:
            if current is None:
                with self._lock:
                    current = self._queue.pop(0) if self._queue else None
                offset = 0
            if current is None:
                block = silence
            else:
                samples = current[0][offset : offset + self.BLOCK]
                block = np.pad(samples, (0, self.BLOCK - samples.size)).tobytes()
                offset += self.BLOCK
            try:
                self._pacat.stdin.write(block)
                self._pacat.stdin.flush()
            except (BrokenPipeError, ValueError):
                return
            if current is not None and offset >= current[0].size:
                current[2].append(time.time() + (current[0].size - offset + self.BLOCK) / MIC_RATE)
                current[1].set()
                current = None
            deadline += self.BLOCK / MIC_RATE
            time.sleep(max(0.0, deadline - time.monotonic()))

    def say(self, samples: np.ndarray) -> Callable[[float], float | None]:
        """Queue speech; returns a wait(timeout) that gives the end of speech (unix time) once played."""
        done, when = threading.Event(), list[float]()
        with self._lock:
            self._queue.append((samples, done, when))
        return lambda timeout: when[0] if done.wait(timeout) else None

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        if self._pacat.stdin:
            with contextlib.suppress(BrokenPipeError):
                self._pacat.stdin.close()
        self._pacat.terminate()
        self._pacat.wait(timeout=5)


class Speaker:
    """Reads the virtual speaker's pipe in a thread; a chunk's samples are timed from its read."""

    def __init__(self) -> None:
        path = AUDIO_RUNTIME / "speaker.fifo"
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with contextlib.suppress(BlockingIOError):
            while os.read(self._fd, 1 << 16):
                pass
        os.set_blocking(self._fd, True)
        self._chunks: list[tuple[float, np.ndarray]] = []
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True, name="speaker")
        self._thread.start()

    def _run(self) -> None:
        with contextlib.suppress(AttributeError, OSError):  # the instrument must not lag the speaker
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
        rest = b""
        while not self._stop:
            data = rest + os.read(self._fd, 1 << 16)
            now = time.time()
            whole = len(data) // 2 * 2
            with self._lock:
                self._chunks.append((now, np.frombuffer(data[:whole], np.int16)))
            rest = data[whole:]

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        os.close(self._fd)

    def _between(self, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            chunks = [(t, s) for t, s in self._chunks if start <= t < end and s.size]
        if not chunks:
            return np.zeros(0), np.zeros(0, np.int16)
        times = np.concatenate([t + np.arange(s.size) / SPEAKER_RATE for t, s in chunks])
        return times, np.concatenate([s for _, s in chunks])

    def first_sound(self, start: float, end: float) -> float | None:
        times, samples = self._between(start, end)
        loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > LOUD)
        return float(times[loud[0]]) if loud.size else None

    def last_sound(self, start: float, end: float) -> float | None:
        times, samples = self._between(start, end)
        loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > LOUD)
        return float(times[loud[-1]]) if loud.size else None

    def wait_quiet(self, after: float, quiet_s: float, timeout: float) -> bool:
        """Wait until the speaker has been silent for `quiet_s` (sound after `after` counts)."""
        end = time.time() + timeout
        while time.time() < end:
            now = time.time()
            last = self.last_sound(after, now)
            if now - max(last or after, after) >= quiet_s:
                return True
            time.sleep(0.05)
        return False


# -- the emulator ----------------------------------------------------------------------------------
class Emulator:
    """`voicecli emulator --record FILE` in its own process; `exports` is what it told apps to set."""

    def __init__(self, work: Path, *args: str) -> None:
        self.record_file = work / "emulator.jsonl"
        self.record_file.write_text("")
        env = {**os.environ, "VOICECLI_HOME": str(work / "home")}
        self._process = subprocess.Popen(
            ["nice", "-n", "0", str(VOICECLI), "emulator", "--record", str(self.record_file), *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True)
        assert self._process.stdout is not None
        self.exports: dict[str, str] = {}
        self.banner: list[str] = []
        for line in self._process.stdout:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                self.exports[name] = value.strip("'")
            elif line.startswith("# ") and not self.exports:
                self.banner.append(line[2:].strip())
            if "GEMINI_API_KEY" in self.exports:
                break
        if "GEMINI_API_KEY" not in self.exports:
            raise RuntimeError("voicecli emulator printed no export lines")
        self._offset = 0
        self._records: list[Record] = []

    def app_env(self) -> dict[str, str]:
        """The environment an unmodified google-genai app gets from the printed lines."""
        return {name: self.exports[name] for name in ("GOOGLE_GEMINI_BASE_URL", "SSL_CERT_FILE", "GEMINI_API_KEY")}

    def records(self) -> list[Record]:
        with self.record_file.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        whole = data.rfind(b"\n") + 1
        self._offset += whole
        self._records.extend(json.loads(line) for line in data[:whole].splitlines() if line.strip())
        return self._records

    def find(self, predicate: Callable[[Record], bool], *, after: float = 0.0, conn: int | None = None,
             before: float = float("inf")) -> list[Record]:
        return [r for r in self.records()
                if after <= r["t"] < before and (conn is None or r["conn"] == conn) and predicate(r)]

    def wait_for(self, predicate: Callable[[Record], bool], *, after: float, conn: int | None = None,
                 timeout: float) -> Record | None:
        end = time.time() + timeout
        while True:
            found = self.find(predicate, after=after, conn=conn)
            if found:
                return found[0]
            if time.time() >= end:
                return None
            time.sleep(0.05)

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()


def _server_content(record: Record) -> dict[str, Any]:
    frame = record.get("frame")
    if record.get("dir") != "out" or not isinstance(frame, dict):
        return {}
    content = frame.get("serverContent")
    return content if isinstance(content, dict) else {}


def is_setup(record: Record) -> bool:
    return record.get("dir") == "in" and isinstance(record.get("frame"), dict) and "setup" in record["frame"]


def is_setup_complete(record: Record) -> bool:
    return record.get("dir") == "out" and isinstance(record.get("frame"), dict) and "setupComplete" in record["frame"]


def is_agent_audio(record: Record) -> bool:
    parts = _server_content(record).get("modelTurn", {}).get("parts", [])
    return any("inlineData" in part or "inline_data" in part for part in parts)


def is_interrupted(record: Record) -> bool:
    return bool(_server_content(record).get("interrupted"))


def is_turn_complete(record: Record) -> bool:
    return bool(_server_content(record).get("turnComplete"))


def input_transcript(record: Record) -> str:
    return str(_server_content(record).get("inputTranscription", {}).get("text", ""))


def is_tool_call(record: Record) -> bool:
    return record.get("dir") == "out" and isinstance(record.get("frame"), dict) and "toolCall" in record["frame"]


def is_tool_response(record: Record) -> bool:
    frame = record.get("frame")
    keys = frame.keys() if isinstance(frame, dict) else set()
    return record.get("dir") == "in" and bool({"tool_response", "toolResponse"} & keys)


def setup_model(record: Record) -> str:
    return str(record["frame"]["setup"].get("model", "?")).removeprefix("models/")


# -- client apps ----------------------------------------------------------------------------------
CLK_TCK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            fields = stat[stat.rfind(")") + 2 :].split()
            parents[int(entry.name)] = int(fields[1])
            times[int(entry.name)] = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / CLK_TCK
    family, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in family]
        family.update(children)
        frontier.extend(children)
    return sum(times.get(pid, 0.0) for pid in family)


@dataclass
class App:
    """A client app run as its user runs it. Apps on `appkit` report JSON lines to `events_file` and
    read commands from a FIFO; voicecli is driven by the microphone only."""

    name: str
    argv: list[str]
    env: dict[str, str]
    work: Path
    cwd: Path = REPO
    commands: bool = True
    launched: float = 0.0
    process: subprocess.Popen[bytes] | None = None
    events_file: Path = field(init=False)
    _fifo: Path | None = field(default=None, init=False)
    _writer: Any = field(default=None, init=False)
    _offset: int = field(default=0, init=False)
    _events: list[dict[str, Any]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.events_file = self.work / f"{self.name}.events.jsonl"
        self.events_file.write_text("")

    def launch(self) -> None:
        env = {**os.environ, **self.env, "PEER_EVENTS": str(self.events_file), "PYTHONUNBUFFERED": "1"}
        for name in ("GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT"):
            env.pop(name, None)  # `unset GOOGLE_API_KEY`, as printed; and the Developer API
        if self.commands:
            self._fifo = self.work / f"{self.name}.commands"
            with contextlib.suppress(FileNotFoundError):
                self._fifo.unlink()
            os.mkfifo(self._fifo)
            env["PEER_COMMANDS"] = str(self._fifo)
        log_file = (self.work / f"{self.name}.log").open("wb")
        self.launched = time.time()
        self.process = subprocess.Popen(self.argv, env=env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                                        stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        if self._fifo is not None:
            # Opening a FIFO for writing waits for its reader: do it in a thread, the app opens it late.
            def open_writer() -> None:
                with contextlib.suppress(OSError):
                    self._writer = self._fifo.open("w", encoding="utf-8")  # type: ignore[union-attr]

            threading.Thread(target=open_writer, daemon=True).start()

    def send(self, command: str, timeout: float = 30.0) -> bool:
        end = time.time() + timeout
        while self._writer is None and time.time() < end and self.alive():
            time.sleep(0.05)
        if self._writer is None:
            return False
        try:
            self._writer.write(command + "\n")
            self._writer.flush()
        except OSError:
            return False
        return True

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def events(self) -> list[dict[str, Any]]:
        with self.events_file.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        whole = data.rfind(b"\n") + 1
        self._offset += whole
        for line in data[:whole].splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                self._events.append(json.loads(line))
        return self._events

    def events_of(self, kind: str, after: float = 0.0, before: float = float("inf")) -> list[dict[str, Any]]:
        return [e for e in self.events() if e.get("event") == kind and after <= e["t"] < before]

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.process.pid) if self.alive() and self.process else 0.0

    def stop(self) -> None:
        if self.process is None:
            return
        if self.commands and self.alive():
            self.send("quit", timeout=1)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=8)
        for sig, grace in ((signal.SIGINT, 5), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if not self.alive():
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        if self._writer is not None:
            with contextlib.suppress(OSError):
                self._writer.close()

    def log_tail(self, lines: int = 15) -> str:
        text = (self.work / f"{self.name}.log").read_text(errors="replace")
        noise = re.compile(r"^(ALSA lib|Jack|jack server|Cannot connect to server|JackShm)")
        return "\n".join([line for line in text.splitlines() if not noise.match(line)][-lines:])


def framework_app(framework: Framework, work: Path, env: dict[str, str]) -> App:
    return App(framework.name, [str(framework.python), *framework.app], env, work, cwd=APPS)


def voicecli_app(work: Path, env: dict[str, str]) -> App:
    home = {"VOICECLI_HOME": str(work / "voicecli-home")}
    # Like for like: the peers' local audio transports cancel no echo, so voicecli's canceller stays off.
    return App("voicecli", [str(VOICECLI), "talk", "--persona", str(APPS / "sam.yaml"), "--no-aec"],
               {**env, **home}, work, commands=False)


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    """A temporary folder for speech, records, app logs; kept (and named) with VOICECLI_PEERS_KEEP=1."""
    if os.environ.get("VOICECLI_PEERS_KEEP"):
        path = Path(tempfile.mkdtemp(prefix="voicecli-peers-"))
        log(f"work files kept in {path}")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="voicecli-peers-") as tmp:
        yield Path(tmp)


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def replace_between(path: Path, begin: str, end: str, body: str) -> None:
    """Replace the text between two marker lines of a doc (the markers stay)."""
    text = path.read_text()
    start, stop = text.index(begin) + len(begin), text.index(end)
    path.write_text(text[:start] + "\n" + body.rstrip() + "\n" + text[stop:])
