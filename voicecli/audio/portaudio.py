"""The one door to sounddevice: a lazy import and the translation of PortAudio failures.

sounddevice loads the PortAudio C library when it is imported, and PortAudio reads the device list
only then, so the import waits until a device is actually needed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from voicecli.errors import AudioError

APT_LINE = "sudo apt-get install -y libportaudio2"


def load_sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError as error:  # the wheel does not ship PortAudio itself
        raise AudioError(
            "the PortAudio library is not installed", hint=f"install it: {APT_LINE}"
        ) from error
    _silence_alsa_messages()
    module: ModuleType = sounddevice
    return module


# alsa-lib prints recoverable events ("underrun occurred") straight to stderr, over the live view;
# underflows are counted by the speaker instead. The handler must outlive every stream.
_ALSA_QUIET_HANDLER: object = None


def _silence_alsa_messages() -> None:
    global _ALSA_QUIET_HANDLER
    if _ALSA_QUIET_HANDLER is not None:
        return
    try:
        library = ctypes.util.find_library("asound")
        if library is None:
            return
        asound = ctypes.CDLL(library)
        handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                        ctypes.c_char_p)
        _ALSA_QUIET_HANDLER = handler_type(lambda *_: None)
        asound.snd_lib_error_set_handler(_ALSA_QUIET_HANDLER)
    except (OSError, AttributeError):
        return  # no ALSA here: nothing to silence


AUDIO_THREAD_PRIORITY = 4
"""SCHED_FIFO priority for the stream threads: above every normal thread, below the sound server's own
real-time threads (PulseAudio and PipeWire use 5 and up)."""


@contextmanager
def audio_thread_priority() -> Iterator[bool]:
    """Open and start streams inside this block so that their threads run in real time, if allowed.

    PortAudio's callback thread and the thread libpulse runs inside the ALSA plugin are created while a
    stream opens and starts, and inherit the policy of the thread that creates them; so this thread
    holds SCHED_FIFO for that moment only and then goes back to what it was. With 5 ms blocks a
    thread that waits behind busy processes for 10 ms is an underflow, which real-time scheduling
    avoids. Yields whether it applied: ordinary users usually may not (RLIMIT_RTPRIO is 0 unless the
    system grants it, e.g. to the audio group), and then streams simply run at normal priority.
    """
    try:
        policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(AUDIO_THREAD_PRIORITY))
    except (AttributeError, OSError):  # not Linux, or not permitted
        yield False
        return
    try:
        yield True
    finally:
        os.sched_setscheduler(0, policy, param)


AUDIO_SWITCH_INTERVAL = 0.001
"""The GIL hand-over bound while streams run (Python's default is 5 ms)."""


class SwitchInterval:
    """Shortens Python's thread switch interval while an audio stream is open.

    A callback needs the GIL. When the event loop thread holds it, Python makes the callback wait up to
    the switch interval (5 ms by default) before asking the holder to let go: as long as a 5 ms output
    block, which is an underflow. At 1 ms the wait fits the block; the cost is a few more switches, and
    only while a thread is waiting. Process-wide, so counted: the last stream to close restores it.
    """

    _users = 0
    _saved = 0.0

    def __init__(self) -> None:
        self._entered = False

    def enter(self) -> None:
        if self._entered:
            return
        self._entered = True
        if SwitchInterval._users == 0:
            SwitchInterval._saved = sys.getswitchinterval()
            sys.setswitchinterval(min(SwitchInterval._saved, AUDIO_SWITCH_INTERVAL))
        SwitchInterval._users += 1

    def exit(self) -> None:
        if not self._entered:
            return
        self._entered = False
        SwitchInterval._users -= 1
        if SwitchInterval._users == 0:
            sys.setswitchinterval(SwitchInterval._saved)


def audio_error(error: Exception, action: str) -> AudioError:
    """Turn a PortAudioError (or ValueError from device lookup) into one clear AudioError."""
    text = str(error)
    lowered = text.lower()
    if "querying device -1" in lowered or "no default" in lowered:
        return no_devices_error(action)
    if "unavailable" in lowered or "busy" in lowered or "-9985" in lowered:
        return AudioError(
            f"cannot {action}: the device is busy",
            hint="another program holds it; close it or pick another device (see `voicecli devices`)",
        )
    if "sample rate" in lowered or "samplerate" in lowered or "-9997" in lowered:
        return AudioError(
            f"cannot {action}: the device does not support the sample rate ({text})",
            hint="pick another device (see `voicecli devices`)",
        )
    return AudioError(f"cannot {action}: {text}", hint="see `voicecli devices` for what is available")


def no_devices_error(action: str) -> AudioError:
    return AudioError(
        f"cannot {action}: no audio devices found",
        hint="no sound server or sound card is available; start PulseAudio/PipeWire "
             "(or `bash scripts/virtual-audio.sh start`), or use a WAV file instead of a device",
    )
