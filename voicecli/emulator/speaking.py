"""Speech out: the agent's words spoken as 24 kHz audio chunks tagged with their transcript, or sent as text.

Only what was delivered counts: a reply cut by a barge-in reports the audio sent before the cut.
Each line is synthesised and encoded once for every connection (``pacing.SpeechCache``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

from voicecli.emulator import protocol as p
from voicecli.emulator.options import EmulatorOptions
from voicecli.emulator.pacing import EncodedChunk, Pacer, ReadyFrame, SpeechCache
from voicecli.emulator.session import AUDIO_TOKENS_PER_S, text_tokens

OUTPUT_RATE = 24_000

Send = Callable[[dict[str, Any]], Awaitable[None]]
SendEncoded = Callable[[ReadyFrame], Awaitable[None]]
Delivered = Callable[[str, int, float], None]  # (modality, tokens, seconds of audio)
DEFAULT_VOICE = "en-us"


class Speaker:
    """Says one line at a time on one connection, paced at ``options.speed``.

    Lines are encoded once (``SpeechCache``, shared by every connection) and paced by the shared
    ``Pacer``; ``send_encoded`` sends a ready frame.
    """

    def __init__(self, send: Send, send_encoded: SendEncoded, options: EmulatorOptions, synth_lock: asyncio.Lock,
                 *, modality: str, transcribe: bool, pacer: Pacer | None = None,
                 cache: SpeechCache | None = None) -> None:
        self._send = send
        self._send_encoded = send_encoded
        self._options = options
        self._lock = synth_lock
        self._modality = modality
        self._transcribe = transcribe  # outputAudioTranscription was asked for
        self._pacer = pacer or Pacer()
        self._cache = cache or SpeechCache()

    async def say(self, text: str, delivered: Delivered, *, voice: str = DEFAULT_VOICE) -> None:
        """Speak ``text`` (which carries its own leading space when it continues a turn) in ``voice``."""
        if not text.strip():
            return
        if self._modality == "TEXT":
            await self._send(p.text_chunk(text))
            delivered("TEXT", text_tokens(text), 0.0)
            return
        chunks = await self._encoded(text, voice)
        loop = asyncio.get_running_loop()
        start, sent_s = loop.time(), 0.0
        speed = self._options.speed
        try:
            for chunk in chunks:
                await self._send_encoded(chunk.audio)
                if chunk.transcript is not None and self._transcribe:
                    await self._send_encoded(chunk.transcript)
                sent_s += chunk.seconds
                if speed > 0:
                    await self._pacer.until(start + sent_s / speed)
                else:
                    await asyncio.sleep(0)  # let barge-in frames in between chunks
        finally:
            delivered("AUDIO", round(sent_s * AUDIO_TOKENS_PER_S), sent_s)

    async def _encoded(self, text: str, voice: str) -> tuple[EncodedChunk, ...]:
        key = (text, voice, OUTPUT_RATE, self._options.chunk_ms)
        found = self._cache.get(key)
        if found is None:
            pcm = await self._synthesize(text.strip(), voice)
            found = tuple(
                EncodedChunk(ReadyFrame.of(p.dump(p.audio_chunk(piece, OUTPUT_RATE))),
                             ReadyFrame.of(p.dump(p.output_transcription(fragment))) if fragment else None,
                             len(piece) / 2 / OUTPUT_RATE)
                for piece, fragment in speech_chunks(pcm, text, rate=OUTPUT_RATE, chunk_ms=self._options.chunk_ms)
            )
            self._cache.put(key, found)
        return found

    async def _synthesize(self, text: str, voice: str) -> bytes:
        synthesize = self._options.synthesize
        if synthesize is None:
            from voicecli.speech.tts import synthesize as espeak_synthesize

            def synthesize(line: str) -> bytes:
                return espeak_synthesize(line, rate=OUTPUT_RATE, voice=voice)

        async with self._lock:  # one synthesizer instance: one caller at a time
            return await asyncio.to_thread(synthesize, text)


def speech_chunks(
    pcm: bytes, text: str, *, rate: int = 24_000, chunk_ms: int = 60
) -> list[tuple[bytes, str]]:
    """Cut ``pcm`` into ``chunk_ms`` pieces, each with the words spoken by its end.

    Words are spread over the audio in proportion to their length in characters, a fair stand-in
    for speaking time. Each word lands in exactly one chunk (the one in which its share of time
    ends), so joining the fragments gives ``text`` back, and joining the audio gives ``pcm``.
    """
    if chunk_ms <= 0 or rate <= 0:
        raise ValueError("chunk_ms and rate must be positive")
    chunk_bytes = max(2, rate * chunk_ms // 1000 * 2)
    pieces = [pcm[start : start + chunk_bytes] for start in range(0, len(pcm), chunk_bytes)]
    if not pieces:
        return [(b"", text)] if text else []

    fragments = [""] * len(pieces)
    words = _words_with_spacing(text)
    total_weight = sum(len(word.strip()) or 1 for word in words)
    spoken = 0
    for word in words:
        spoken += len(word.strip()) or 1
        # The chunk in which this word finishes, on the audio's own timeline.
        index = min(len(pieces) - 1, max(0, -(-spoken * len(pieces) // total_weight) - 1))
        fragments[index] += word
    return list(zip(pieces, fragments, strict=True))


def _words_with_spacing(text: str) -> list[str]:
    """Split ``text`` into words, each keeping the whitespace before it, so ``"".join`` restores it."""
    words = re.findall(r"\s*\S+", text)
    trailing = text[len("".join(words)) :]
    if words:
        words[-1] += trailing
    elif trailing:
        words.append(trailing)
    return words
