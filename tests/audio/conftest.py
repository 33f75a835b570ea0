"""Audio test helpers: speech clips from espeak-ng, and the virtual PulseAudio server for device tests.

The server must be up before sounddevice is imported (PortAudio reads the device list once), and the
tests must share the script's XDG_RUNTIME_DIR; the `virtual_audio` fixture takes care of both and skips,
with the script's reason, where PulseAudio cannot start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soxr

from voicecli.audio.wav import read_wav

REPO = Path(__file__).resolve().parents[2]
AUDIO_SCRIPT = REPO / "scripts" / "virtual-audio.sh"
DEFAULT_XDG = "/tmp/voicecli-audio-xdg"
UTTERANCE = "Hello, this is a test of the voice command line. The quick brown fox jumps over the lazy dog."


def espeak_clip(text: str, path: Path, rate: int = 16_000) -> npt.NDArray[np.int16]:
    """Speech from espeak-ng (22.05 kHz) resampled to ``rate``; skips the test without espeak-ng."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install -y espeak-ng)")
    raw = path.with_suffix(".22k.wav")
    subprocess.run(["espeak-ng", "-w", str(raw), text], check=True, capture_output=True)
    samples, source_rate, _ = read_wav(raw)
    if source_rate == rate:
        return samples
    return np.asarray(soxr.resample(samples, source_rate, rate, quality="VHQ"), dtype=np.int16)


@pytest.fixture(scope="session")
def speech_16k(tmp_path_factory: pytest.TempPathFactory) -> npt.NDArray[np.int16]:
    return espeak_clip(UTTERANCE, tmp_path_factory.mktemp("speech") / "utterance.wav")


@pytest.fixture(scope="session")
def virtual_audio() -> Iterator[Path]:
    """Starts the virtual PulseAudio server; yields its runtime dir (the speaker FIFO lives there)."""
    runtime = Path(os.environ.setdefault("XDG_RUNTIME_DIR", DEFAULT_XDG))
    if shutil.which("pactl") is None:
        pytest.skip("pulseaudio is not installed, so there is no virtual sound device")
    started = subprocess.run(["bash", str(AUDIO_SCRIPT), "start"],
                             capture_output=True, text=True, check=False)
    if subprocess.run(["pactl", "info"], capture_output=True, check=False).returncode != 0:
        pytest.skip(f"virtual audio unavailable: {started.stdout.strip() or started.stderr.strip()}")
    try:
        import sounddevice as sd
    except OSError as error:
        pytest.skip(f"PortAudio is missing: {error}")
    if "sounddevice" in sys.modules and not sd.query_devices():
        # Imported before the server was up: make PortAudio read the device list again.
        sd._terminate()
        sd._initialize()
    yield runtime
