from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voicecli.audio.devices import DeviceInfo, devices_from_query, resolve_device
from voicecli.audio.portaudio import audio_error
from voicecli.cli.devices_cmd import format_devices
from voicecli.errors import AudioError

REPO = Path(__file__).resolve().parents[2]


def device(index: int, name: str, inputs: int = 2, outputs: int = 2, **defaults: bool) -> DeviceInfo:
    return DeviceInfo(index, name, "ALSA", inputs, outputs, 48_000,
                      defaults.get("default_input", False), defaults.get("default_output", False))


DEVICES = [
    device(0, "HDA Intel PCH: ALC257 Analog", default_input=True),
    device(1, "USB Headset", default_output=True),
    device(2, "HDMI 0", inputs=0),
    device(3, "USB Headset Mic", outputs=0),
]


def test_none_picks_the_default_of_that_kind() -> None:
    assert resolve_device(None, "input", DEVICES).index == 0
    assert resolve_device(None, "output", DEVICES).index == 1


def test_index_as_int_or_digits() -> None:
    assert resolve_device(2, "output", DEVICES).name == "HDMI 0"
    assert resolve_device(" 3 ", "input", DEVICES).name == "USB Headset Mic"


def test_an_index_of_the_wrong_kind_is_not_found() -> None:
    with pytest.raises(AudioError, match="no input device with index 2") as caught:
        resolve_device(2, "input", DEVICES)
    assert caught.value.hint and "0: HDA Intel" in caught.value.hint


def test_name_substring_is_case_insensitive_and_an_exact_name_wins() -> None:
    assert resolve_device("alc257", "input", DEVICES).index == 0
    assert resolve_device("usb headset", "input", DEVICES).index == 1


def test_an_ambiguous_name_lists_the_candidates() -> None:
    with pytest.raises(AudioError, match="several input devices") as caught:
        resolve_device("usb", "input", DEVICES)
    assert "1: USB Headset" in caught.value.message and "3: USB Headset Mic" in caught.value.message


def test_no_devices_says_there_is_no_audio_server() -> None:
    with pytest.raises(AudioError, match="no audio devices found") as caught:
        resolve_device(None, "output", [device(0, "mic", outputs=0)])
    assert caught.value.exit_code == 3


@pytest.mark.parametrize(("text", "expected"), [
    ("Error querying device -1", "no audio devices found"),
    ("Error opening InputStream: Device unavailable [PaErrorCode -9985]", "busy"),
    ("Error opening OutputStream: Invalid sample rate [PaErrorCode -9997]", "sample rate"),
    ("Something else", "Something else"),
])
def test_portaudio_failures_become_clear_audio_errors(text: str, expected: str) -> None:
    error = audio_error(RuntimeError(text), "open the microphone")
    assert expected in error.message and error.message.startswith("cannot open the microphone")
    assert error.hint


def test_query_results_become_device_infos_with_default_markers() -> None:
    raw = [
        {"name": "pulse", "hostapi": 0, "max_input_channels": 32, "max_output_channels": 32,
         "default_samplerate": 44100.0},
        {"name": "default", "hostapi": 0, "max_input_channels": 32, "max_output_channels": 32,
         "default_samplerate": 44100.0, "index": 1},
    ]
    infos = devices_from_query(raw, ["ALSA"], 1, 1)
    assert [(d.index, d.default_input, d.default_output, d.default_rate) for d in infos] == [
        (0, False, False, 44100), (1, True, True, 44100)]
    assert infos[1].to_dict()["host_api"] == "ALSA"


def test_listing_marks_defaults_and_shows_channels_and_rates() -> None:
    text = format_devices(DEVICES)
    assert "*   0  HDA Intel PCH: ALC257 Analog    2 ch   48000 Hz  ALSA" in text
    assert text.splitlines()[0] == "Inputs (* = default):"
    assert "Outputs (* = default):" in text


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from voicecli.cli.main import run; run()", *args],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=False)


def test_help_does_not_load_any_audio_library() -> None:
    code = ("import sys; from voicecli.cli.main import app, _register_commands; _register_commands(); "
            "print(sorted(m for m in ('sounddevice', 'soxr', 'webrtcvad', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]"


def test_devices_without_an_audio_server_exits_3_with_a_hint(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "PULSE_SERVER": f"unix:{tmp_path}/none"}
    done = run_cli("devices", env=env)
    if "PortAudio library is not installed" in done.stderr:
        assert done.returncode == 3 and "apt-get install" in done.stderr
        return
    assert done.returncode == 3
    assert "no audio devices found" in done.stderr and "hint:" in done.stderr
    assert "Traceback" not in done.stderr
