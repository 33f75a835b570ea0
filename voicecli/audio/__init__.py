"""The audio engine: capture, 16 kHz 20 ms frames, activity detection, playback with barge-in, devices.

The only package that imports sounddevice, soxr and webrtcvad. sounddevice (and with it PortAudio) is
imported only when a device is opened or listed, so WAV sources and sinks and the VAD work without it.
Each name below is imported on first use, so ``voicecli.audio.format`` (the audio constants) costs
nothing to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voicecli.audio.capture import Microphone
    from voicecli.audio.devices import DeviceInfo, list_devices, resolve_device
    from voicecli.audio.echo import EchoGuard
    from voicecli.audio.levels import SILENCE_DBFS, dbfs
    from voicecli.audio.playback import PlaybackQueue, Speaker
    from voicecli.audio.protocols import AudioSink, FrameSource
    from voicecli.audio.reframer import Reframer
    from voicecli.audio.vad import LocalVad
    from voicecli.audio.wav import WavSink, WavSource, read_wav

_HOMES = {
    "Microphone": "capture",
    "DeviceInfo": "devices",
    "list_devices": "devices",
    "resolve_device": "devices",
    "EchoGuard": "echo",
    "SILENCE_DBFS": "levels",
    "dbfs": "levels",
    "PlaybackQueue": "playback",
    "Speaker": "playback",
    "AudioSink": "protocols",
    "FrameSource": "protocols",
    "Reframer": "reframer",
    "LocalVad": "vad",
    "WavSink": "wav",
    "WavSource": "wav",
    "read_wav": "wav",
}

__all__ = [
    "SILENCE_DBFS",
    "AudioSink",
    "DeviceInfo",
    "EchoGuard",
    "FrameSource",
    "LocalVad",
    "Microphone",
    "PlaybackQueue",
    "Reframer",
    "Speaker",
    "WavSink",
    "WavSource",
    "dbfs",
    "list_devices",
    "read_wav",
    "resolve_device",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value
