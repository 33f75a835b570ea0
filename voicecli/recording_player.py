"""``voicecli logs play``: a session's recording through the speaker, its transcript shown in step.

Both channels are mixed to one for the speaker. Each log entry is shown when playback reaches
the moment it happened: its time in the log minus when the recording started.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np

from voicecli.errors import AudioError
from voicecli.recording import RATE
from voicecli.store.records import LogEntry

FEED_AHEAD_S = 0.5  # audio queued ahead of the speaker: enough to ride out a slow loop turn
CHUNK_S = 0.1
POLL_S = 0.02


def load_mono(path: Path) -> np.ndarray:
    """The recording mixed to one 24 kHz channel (user and agent both audible)."""
    from voicecli.audio.wav import read_wav

    samples, rate, channels = read_wav(path)
    if rate != RATE:
        raise AudioError(f"{path}: a recording is {RATE} Hz, this file is {rate} Hz",
                         hint="play recordings made by `voicecli talk --record`")
    if channels == 1:
        return np.asarray(samples, dtype=np.int16)
    frames = samples.reshape(-1, channels).astype(np.int32)
    mixed: np.ndarray = np.clip(frames.sum(axis=1), -32768, 32767).astype(np.int16)
    return mixed


async def play(path: Path, timeline: list[tuple[float, LogEntry]], show: Callable[[LogEntry], None], *,
               device: str | None = None) -> float:
    """Play ``path``; call ``show`` for each (offset, entry) of ``timeline`` as playback reaches it.

    Returns the seconds played. Entries after the recording's end are shown when it ends.
    """
    from voicecli.audio import Speaker

    mono = load_mono(path)
    pending = sorted(timeline, key=lambda item: item[0])
    chunk = round(CHUNK_S * RATE)
    fed = 0
    async with Speaker(device) as speaker:
        ended = False
        while True:
            while fed < len(mono) and fed / RATE - speaker.played_seconds < FEED_AHEAD_S:
                speaker.play(mono[fed : fed + chunk].tobytes())
                fed += chunk
            if fed >= len(mono) and not ended:
                speaker.end_reply()
                ended = True
            pending = _show_due(pending, speaker.played_seconds, show)
            if ended and not speaker.audible:
                break
            await asyncio.sleep(POLL_S)
        await speaker.drain()
        played = speaker.played_seconds
    for _, entry in pending:
        show(entry)
    return played


def _show_due(pending: list[tuple[float, LogEntry]], position: float,
              show: Callable[[LogEntry], None]) -> list[tuple[float, LogEntry]]:
    due = 0
    while due < len(pending) and pending[due][0] <= position:
        show(pending[due][1])
        due += 1
    return pending[due:]
