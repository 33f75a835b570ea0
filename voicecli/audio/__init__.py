"""The audio engine: capture, 16 kHz 20 ms frames, activity detection, playback with barge-in, devices.

The only package that imports sounddevice, soxr and webrtcvad. sounddevice (and with it PortAudio) is
imported only when a device is opened or listed, so WAV sources and sinks and the VAD work without it.
"""

from voicecli.audio.capture import Microphone
from voicecli.audio.devices import DeviceInfo, list_devices, resolve_device
from voicecli.audio.echo import EchoGuard
from voicecli.audio.levels import SILENCE_DBFS, dbfs
from voicecli.audio.playback import PlaybackQueue, Speaker
from voicecli.audio.protocols import AudioSink, FrameSource
from voicecli.audio.reframer import Reframer
from voicecli.audio.vad import LocalVad
from voicecli.audio.wav import WavSink, WavSource, read_wav

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
