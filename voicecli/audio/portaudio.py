"""The one door to sounddevice: a lazy import and the translation of PortAudio failures.

sounddevice loads the PortAudio C library when it is imported, and PortAudio reads the device list
only then, so the import waits until a device is actually needed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
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
