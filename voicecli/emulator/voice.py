"""Moved: text to speech is ``voicecli.speech.tts``; the emulator's chunking is ``voicecli.emulator.speaking``.

Kept only so code that still imports the old path (the doctor's checks, benches) goes on working.
"""

from voicecli.speech.tts import ESPEAK_RATE, VoiceUnavailable, clear_cache, synthesize

__all__ = ["ESPEAK_RATE", "VoiceUnavailable", "clear_cache", "synthesize"]
