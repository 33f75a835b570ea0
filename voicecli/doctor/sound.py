"""Sound: PortAudio, the sound server, the default and chosen devices, a mic level, the speaker.

Device work goes through ``voicecli.audio`` (the only package that touches sounddevice). The level
verdict is pure and tested on its own; the device checks run on the virtual PulseAudio device in tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from voicecli.audio.format import INPUT_RATE, OUTPUT_RATE
from voicecli.doctor.check import Check, failed, passed, warned
from voicecli.errors import AudioError

if TYPE_CHECKING:
    from voicecli.audio import DeviceInfo
    from voicecli.audio.devices import Kind

LEVEL_SECONDS = 1.0
SILENT_DBFS = -80.0  # below any real microphone's own noise: muted, or an unconnected input
CLIPPED_SHARE = 0.01  # more than 1% of samples at full scale
TONE_HZ = 440.0
TONE_SECONDS = 1.0
_FRAME_SECONDS = 0.02
_GRACE_S = 3.0  # a stream that delivers nothing in this long after opening is stuck
_SERVER_FIX = ("start the sound server (`systemctl --user start pipewire-pulse` or `pulseaudio --start`) and check "
               "that PULSE_SERVER and XDG_RUNTIME_DIR point at it; on a machine without sound: "
               "`bash scripts/virtual-audio.sh start`")

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=5, check=False)


def server_check(env: Mapping[str, str], run: Runner = _run, platform: str = sys.platform) -> Check:
    """Ask PulseAudio (or PipeWire's Pulse server) whether it answers, where the devices are reached through it."""
    if not platform.startswith("linux"):
        return passed("sound server", "the system's own audio service (reached through PortAudio)")
    pactl = shutil.which("pactl")
    if pactl is None:
        return warned("sound server", "pactl is not installed, so the server cannot be asked directly; "
                      "the device checks below decide", "apt-get install pulseaudio-utils")
    try:
        answer = run([pactl, "info"])
    except (OSError, subprocess.TimeoutExpired) as error:
        return failed("sound server", f"pactl info did not answer: {error}", _SERVER_FIX)
    where = env.get("PULSE_SERVER") or os.path.join(env.get("XDG_RUNTIME_DIR", "$XDG_RUNTIME_DIR"), "pulse", "native")
    if answer.returncode != 0:
        reason = (answer.stderr.strip().splitlines() or ["no answer"])[-1]
        return failed("sound server", f"no PulseAudio/PipeWire server answers at {where} ({reason})", _SERVER_FIX,
                      address=where)
    info = dict(line.split(":", 1) for line in answer.stdout.splitlines() if ":" in line)
    name = info.get("Server Name", "a sound server").strip()
    version = info.get("Server Version", "").strip()
    address = info.get("Server String", where).strip()
    return passed("sound server", f"{name} {version} at {address}".replace("  ", " "), address=address)


def portaudio_check() -> tuple[Check, bool]:
    from voicecli.audio.portaudio import load_sounddevice

    try:
        sd = load_sounddevice()
    except AudioError as error:
        return failed("portaudio", error.message, error.hint or ""), False
    version = str(sd.get_portaudio_version()[1]).split(", revision")[0]
    return passed("portaudio", version, version=version), True


def device_check(spec: str | None, kind: Kind, devices: Sequence[DeviceInfo]) -> tuple[Check, DeviceInfo | None]:
    """The default device, or the chosen one with the default beside it."""
    from voicecli.audio import resolve_device

    name = f"{kind} device"
    default: DeviceInfo | None
    try:
        default = resolve_device(None, kind, devices)
    except AudioError:
        default = None
    try:
        device = resolve_device(spec, kind, devices)
    except AudioError as error:
        return failed(name, error.message, error.hint or "see `voicecli devices`"), None
    shown = f"{device.index}: {device.name} ({device.default_rate} Hz, {device.host_api})"
    if spec is None:
        detail = f"default {shown}"
    else:
        detail = f"chosen {shown}" + (f"; the default is {default.index}: {default.name}" if default else "")
    return passed(name, detail, index=device.index, device=device.name), device


def level_verdict(pcm: bytes, device: str) -> Check:
    """What one second of microphone audio says: a usable level, silence, or clipping. Pure."""
    from voicecli.audio import dbfs

    samples = np.frombuffer(pcm, dtype=np.int16)
    if samples.size == 0:
        return failed("microphone", f"input {device!r} delivered no audio", "pick another --input-device")
    level = dbfs(samples)
    peak = int(np.max(np.abs(samples.astype(np.int32))))
    clipped = float(np.mean(np.abs(samples.astype(np.int32)) >= 32767))
    data = {"level_dbfs": round(level, 1), "peak": peak, "seconds": round(samples.size / INPUT_RATE, 2)}
    if level <= SILENT_DBFS:
        return warned("microphone", f"input {device!r} is silent ({level:.0f} dBFS over {data['seconds']:g} s)",
                      "unmute it and raise its input volume (system sound settings or pavucontrol), "
                      "or pick another --input-device", **data)
    if clipped > CLIPPED_SHARE:
        return warned("microphone", f"input {device!r} clips ({clipped:.0%} of samples at full scale)",
                      "lower its input volume", **data)
    return passed("microphone", f"input {device!r}: {level:.0f} dBFS average over {data['seconds']:g} s", **data)


async def microphone_check(spec: str | int | None, seconds: float = LEVEL_SECONDS) -> Check:
    """Record ``seconds`` from the device (16 kHz frames, as talk uses them) and judge the level."""
    from voicecli.audio import Microphone

    wanted = round(seconds / _FRAME_SECONDS)
    frames: list[bytes] = []
    name = str(spec) if spec is not None else "the default input"
    try:
        async with asyncio.timeout(seconds + _GRACE_S), Microphone(spec) as mic:
            name = mic.device_name or name
            # Closed on leaving, so the generator does not linger after the early break.
            async with contextlib.aclosing(cast("AsyncGenerator[bytes, None]", mic.frames())) as stream:
                async for frame in stream:
                    frames.append(frame)
                    if len(frames) >= wanted:
                        break
    except AudioError as error:
        return failed("microphone", error.message, error.hint or "see `voicecli devices`")
    except TimeoutError:
        got = len(frames) * _FRAME_SECONDS
        return failed("microphone", f"input {name!r} opened but delivered only {got:.2f} s of audio in "
                      f"{seconds + _GRACE_S:g} s", "check that the device is not suspended or held by another "
                      "program, or pick another --input-device")
    return level_verdict(b"".join(frames), name)


def tone(seconds: float = TONE_SECONDS, rate: int = OUTPUT_RATE) -> bytes:
    """A quiet sine (about -12 dBFS) with 10 ms ramps, so it starts and stops without a click."""
    t = np.arange(round(seconds * rate)) / rate
    wave = 0.25 * np.sin(2 * np.pi * TONE_HZ * t)
    ramp = min(wave.size // 2, round(0.01 * rate))
    envelope = np.ones_like(wave)
    envelope[:ramp] = np.linspace(0, 1, ramp)
    envelope[wave.size - ramp:] = np.linspace(1, 0, ramp)
    return np.asarray(wave * envelope * 32767, dtype="<i2").tobytes()


async def speaker_check(spec: str | int | None, *, play_tone: bool) -> Check:
    """Open the output as talk does; with ``play_tone``, play a second of 440 Hz through it."""
    from voicecli.audio import Speaker

    try:
        async with Speaker(spec) as speaker:
            name, rate = speaker.device_name, speaker.samplerate
            if not play_tone:
                return passed("speaker", f"output {name!r} opens at {rate} Hz (--tone plays a test tone)", rate=rate)
            speaker.play(tone())
            speaker.end_reply()
            async with asyncio.timeout(TONE_SECONDS + _GRACE_S):
                await speaker.drain()
            played = speaker.played_seconds
    except AudioError as error:
        return failed("speaker", error.message, error.hint or "see `voicecli devices`")
    except TimeoutError:
        return failed("speaker", "the test tone did not finish playing: the output is stuck",
                      "check that the device is not suspended or held by another program, or pick another "
                      "--output-device")
    if played < TONE_SECONDS * 0.9:
        return failed("speaker", f"only {played:.2f} s of the {TONE_SECONDS:g} s tone played on {name}",
                      "pick another --output-device", played_seconds=played)
    return passed("speaker", f"played a {TONE_SECONDS:g} s {TONE_HZ:g} Hz tone on {name!r} at {rate} Hz: "
                  "you should have heard it", played_seconds=round(played, 2), rate=rate)


async def sound_checks(input_spec: str | None, output_spec: str | None, env: Mapping[str, str], *,
                       play_tone: bool) -> list[Check]:
    from voicecli.audio import list_devices

    server = server_check(env)
    portaudio, loaded = portaudio_check()
    if not loaded:
        return [portaudio, server]
    try:
        devices = list_devices()
    except AudioError as error:
        return [portaudio, server, failed("devices", error.message, error.hint or "")]
    mic, input_device = device_check(input_spec, "input", devices)
    out, output_device = device_check(output_spec, "output", devices)
    if server.status == "fail" and input_device is not None and output_device is not None:
        # The devices work without the server (plain ALSA, say): talk is not blocked by it.
        server = warned("sound server", f"{server.detail}; PortAudio reaches the devices without it", server.fix or "")
    checks = [portaudio, server, mic, out]
    if input_device is not None:
        checks.append(await microphone_check(input_device.index))
    if output_device is not None:
        checks.append(await speaker_check(output_device.index, play_tone=play_tone))
    return checks
