"""Sound checks on the virtual PulseAudio device (scripts/virtual-audio.sh), failures provoked for real."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.doctor.conftest import checks_by_name, doctor_cli
from voicecli.doctor import sound

pytestmark = pytest.mark.audio

FEED_RATE = 48_000


async def test_the_virtual_devices_pass_every_sound_check(virtual_audio: Path) -> None:
    checks = {check.name: check for check in await sound.sound_checks(None, None, os.environ, play_tone=False)}
    assert [checks[name].status for name in ("portaudio", "sound server", "input device", "output device",
                                             "speaker")] == ["ok"] * 5
    # Nothing may be feeding the virtual mic, so its level can be silent (warn) or not; it was measured.
    assert checks["microphone"].status in {"ok", "warn"}
    assert "level_dbfs" in checks["microphone"].data


async def test_a_tone_fed_to_the_mic_is_heard_at_a_usable_level(virtual_audio: Path) -> None:
    t = np.arange(3 * FEED_RATE) / FEED_RATE
    feed = (8000 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes()
    player = await asyncio.create_subprocess_exec(
        "pacat", "-d", "micfeed", "--raw", "--format=s16le", f"--rate={FEED_RATE}", "--channels=1",
        stdin=subprocess.PIPE)
    assert player.stdin is not None
    player.stdin.write(feed)  # paced by the server in real time: plays through the whole check
    try:
        await asyncio.sleep(0.2)  # let the feed start before the second of capture
        check = await sound.microphone_check(None)
    finally:
        player.kill()
        await player.wait()
    assert check.status == "ok", check.detail
    assert check.data["level_dbfs"] > sound.SILENT_DBFS


async def test_the_test_tone_plays_through(virtual_audio: Path) -> None:
    check = await sound.speaker_check(None, play_tone=True)
    assert check.status == "ok", check.detail
    assert check.data["played_seconds"] >= 0.9


async def test_a_device_name_that_matches_nothing_fails_listing_what_there_is(virtual_audio: Path) -> None:
    checks = {check.name: check
              for check in await sound.sound_checks("no-such-mic", "no-such-speaker", os.environ, play_tone=False)}
    assert checks["input device"].status == checks["output device"].status == "fail"
    assert "no input device matches 'no-such-mic'" in checks["input device"].detail
    assert "available:" in (checks["input device"].fix or "")
    assert "microphone" not in checks and "speaker" not in checks


def test_no_sound_server_fails_with_how_to_start_one(virtual_audio: Path) -> None:
    if shutil.which("pactl") is None:
        pytest.skip("pactl is not installed here")
    code, stdout, _ = doctor_cli("--offline", "--json", env={"PULSE_SERVER": "unix:/nonexistent/pulse"})
    checks = checks_by_name(stdout)
    if "devices" not in checks:
        pytest.skip("this machine has sound hardware that PortAudio reaches without the server")
    assert code == 1
    assert checks["sound server"]["status"] == "fail"
    assert "unix:/nonexistent/pulse" in checks["sound server"]["detail"]
    assert checks["sound server"]["fix"]
    assert checks["devices"]["status"] == "fail"
