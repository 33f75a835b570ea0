"""The optional pieces: espeak-ng (the emulator's voice and ``--say``) and offline speech recognition.

Each check takes its loader as a parameter, so a test can hand it one that fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from voicecli.audio.format import INPUT_RATE
from voicecli.doctor.check import Check, failed, passed, warned

if TYPE_CHECKING:
    from voicecli.speech import SpeechRecognition

Speak = Callable[[str], bytes]
LoadRecognition = Callable[[], "tuple[SpeechRecognition | None, str]"]
ESPEAK_FIX = "pip install --force-reinstall espeakng-loader (it carries espeak-ng and its voices)"
_TEST_RATE = INPUT_RATE


def _speak(text: str) -> bytes:
    from voicecli.emulator.voice import synthesize

    return synthesize(text, rate=_TEST_RATE)


def _load_recognition() -> tuple[SpeechRecognition | None, str]:
    from voicecli.speech import load_recognition

    return load_recognition()


def espeak_check(*, needed: bool, speak: Speak = _speak) -> Check:
    """espeak-ng speaks a test word. Needed offline (the emulator's voice); otherwise only for --say."""
    from voicecli.emulator.voice import VoiceUnavailable

    use = "the offline emulator's voice" if needed else "--say and --offline"
    try:
        pcm = speak("testing")
    except VoiceUnavailable as error:
        make = failed if needed else warned
        return make("espeak-ng", f"{error} (needed for {use})", ESPEAK_FIX)
    if not pcm:
        make = failed if needed else warned
        return make("espeak-ng", f"espeak-ng produced no audio (needed for {use})", ESPEAK_FIX)
    seconds = len(pcm) / 2 / _TEST_RATE
    return passed("espeak-ng", f"speaks ({seconds:.1f} s for a test word; used for {use})")


def recognition_check(load: LoadRecognition = _load_recognition) -> Check:
    """The ``voicecli[offline]`` extra: optional, so a missing one is a warning."""
    from voicecli.speech import INSTALL_COMMAND

    recognition, line = load()
    if recognition is None:
        return warned("speech recognition", line, f"optional, for offline recognition of what you say: "
                      f"{INSTALL_COMMAND}", installed=False)
    return passed("speech recognition", line.removeprefix("speech recognition: "), installed=True)
