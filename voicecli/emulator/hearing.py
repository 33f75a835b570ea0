"""User audio in: conversion to 16 kHz, activity detection, and a listener fed while each turn is spoken.

A user turn is bracketed by the server's activity detection (``vad.ServerVad``; ``audioStreamEnd``
closes an utterance in progress) or, with automatic detection off, by the client's ``activityStart``
and ``activityEnd``. Each turn gets its own ``TurnListener`` from the moment speech starts (with a
little audio from before the detected onset, since detection needs a few voiced frames first), so the
recogniser works while the user speaks and the words are ready soon after they stop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voicecli.emulator.intake import VAD_RATE, AudioChunk
from voicecli.emulator.options import EmulatorOptions
from voicecli.emulator.protocol import VadSettings
from voicecli.emulator.recognition import TurnListener
from voicecli.emulator.session import Session

PREROLL_S = 0.2  # audio before the detected onset that a turn's listener also hears
_KEEP_S = 1.0  # recent audio kept for that: onset detection lags the onset by at most the start commit time
_BYTES_PER_S = VAD_RATE * 2


@dataclass(frozen=True)
class Pushed:
    """Audio pushed to activity detection that needs routing: its events and where it lies on the clock."""

    events: list[Any]
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SpeechBegan:
    """The user started speaking (where a reply in progress is interrupted)."""


@dataclass(frozen=True)
class SpeechDone:
    """A user turn ended: its length, and the listener that heard it."""

    audio_s: float
    listener: TurnListener


HearingEvent = SpeechBegan | SpeechDone


class Hearing:
    """One connection's user audio. ``new_listener`` makes the listener for each turn."""

    def __init__(self, vad: VadSettings, session: Session, options: EmulatorOptions,
                 new_listener: Callable[[], TurnListener]) -> None:
        self._settings = vad
        self._session = session
        self._options = options
        self._new_listener = new_listener
        self._vad: Any = None
        self._resampler: Any = None  # one persistent soxr stream for input not at 16 kHz
        self._listener: TurnListener | None = None
        self._speech_start_s: float | None = None
        self._activity_open = False
        self._activity_audio_s = 0.0
        # Recent 16 kHz audio (see _remember), ending at _recent_end_s: pieces as pushed, joined only
        # when a turn starts or ends, so the common case (no turn) copies nothing.
        self._recent: deque[bytes] = deque()
        self._recent_bytes = 0
        self._recent_end_s = 0.0

    @property
    def manual(self) -> bool:
        return self._settings.disabled

    async def audio(self, chunk: AudioChunk) -> list[HearingEvent]:
        if self.manual:
            pcm = self._to_16k(chunk.pcm, chunk.rate)
            if self._activity_open:
                self._activity_audio_s += len(chunk.pcm) / 2 / chunk.rate
                if self._listener is not None:
                    await self._listener.feed(pcm)
            return []
        pushed = self.push(chunk)
        return [] if pushed is None else await self.route(pushed)

    def push(self, chunk: AudioChunk) -> Pushed | None:
        """Automatic detection, the part that needs no waiting: None when nothing more is to be done.

        That is the common case, audio with no turn starting, ending or under way, which the
        connection handles without a coroutine per frame. Otherwise ``route`` finishes the job.
        """
        assert not self.manual
        pcm = self._to_16k(chunk.pcm, chunk.rate)
        vad = self._ensure_vad()
        start_s = float(vad.clock_s)
        events = vad.push(pcm)
        self._remember(pcm, start_s)
        self._session.vad_clock_s = float(vad.clock_s)
        if not events and self._listener is None:
            return None
        return Pushed(events, start_s, self._recent_end_s)

    async def route(self, pushed: Pushed) -> list[HearingEvent]:
        return await self._route(pushed.events, pushed.start_s, pushed.end_s)

    def activity_start(self) -> None:
        """``activityStart``: a user turn begins (the caller interrupts any reply, whatever the settings)."""
        self.close()
        self._activity_open, self._activity_audio_s = True, 0.0
        self._listener = self._new_listener()

    def activity_end(self) -> list[HearingEvent]:
        if not self._activity_open or self._listener is None:
            return []
        self._activity_open = False
        listener, self._listener = self._listener, None
        return [SpeechDone(self._activity_audio_s, listener)]

    async def stream_end(self) -> list[HearingEvent]:
        """``audioStreamEnd``: an utterance in progress ends now (automatic detection only)."""
        if self.manual or self._vad is None:
            return []
        return await self._route(self._vad.flush(), self._recent_end_s, self._recent_end_s)

    def close(self) -> None:
        """Abandon a turn in progress (a new activity, or the connection ends)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    async def _route(self, events: list[Any], start_s: float, end_s: float) -> list[HearingEvent]:
        """Give each part of the audio just pushed to the turn it belongs to, and turn VAD events into ours."""
        out: list[HearingEvent] = []
        cursor = start_s
        for event in events:
            at = max(float(event.offset_s), cursor)
            if type(event).__name__ == "SpeechStarted":
                self.close()
                self._speech_start_s = float(event.offset_s)
                self._listener = self._new_listener()
                await self._listener.feed(self._slice(float(event.offset_s) - PREROLL_S, at))
                out.append(SpeechBegan())
            elif self._listener is not None:
                await self._listener.feed(self._slice(cursor, at))
                begun = self._speech_start_s if self._speech_start_s is not None else float(event.offset_s)
                out.append(SpeechDone(max(0.0, float(event.offset_s) - begun), self._listener))
                self._listener, self._speech_start_s = None, None
            cursor = at
        if self._listener is not None:
            await self._listener.feed(self._slice(cursor, end_s))
        return out

    def _remember(self, pcm: bytes, start_s: float) -> None:
        """Keep this push whole, and at least _KEEP_S of audio before it (whole pieces)."""
        recent = self._recent
        recent.append(pcm)
        self._recent_bytes += len(pcm)
        keep = len(pcm) + int(_KEEP_S * _BYTES_PER_S)
        while self._recent_bytes - len(recent[0]) >= keep:
            self._recent_bytes -= len(recent.popleft())
        self._recent_end_s = start_s + len(pcm) / _BYTES_PER_S

    def _slice(self, from_s: float, to_s: float) -> bytes:
        """Recent audio between two times on the session's audio clock (clamped to what is kept)."""
        begin_s = self._recent_end_s - self._recent_bytes / _BYTES_PER_S
        first = max(0, round((from_s - begin_s) * VAD_RATE)) * 2
        last = min(self._recent_bytes, max(0, round((to_s - begin_s) * VAD_RATE)) * 2)
        if last <= first:
            return b""
        if len(self._recent) > 1:
            self._recent = deque([b"".join(self._recent)])  # joined once; later slices reuse it
        return self._recent[0][first:last]

    def _to_16k(self, pcm: bytes, rate: int) -> bytes:
        if rate == VAD_RATE:
            return pcm
        import numpy as np
        import soxr

        if self._resampler is None or self._resampler[0] != rate:
            self._resampler = (rate, soxr.ResampleStream(rate, VAD_RATE, 1, dtype="int16"))
        out = self._resampler[1].resample_chunk(np.frombuffer(pcm, dtype=np.int16))
        return bytes(np.asarray(out, dtype=np.int16).tobytes())

    def _ensure_vad(self) -> Any:
        if self._vad is None:
            factory = self._options.vad_factory
            if factory is None:
                from voicecli.emulator.vad import ServerVad

                factory = ServerVad
            vad = self._settings
            self._vad = factory(start_sensitivity=vad.start_sensitivity, end_sensitivity=vad.end_sensitivity,
                                prefix_padding_ms=vad.prefix_padding_ms,
                                silence_duration_ms=vad.silence_duration_ms, rate=VAD_RATE,
                                clock_s=self._session.vad_clock_s)
        return self._vad
