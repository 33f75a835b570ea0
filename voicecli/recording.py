"""Both sides of a conversation in one stereo WAV: the user on the left, the agent on the right.

Both channels share one clock, the moment the recording opened. The user's 16 kHz frames are
resampled to 24 kHz and laid down as they are sent; the agent's audio is laid down where the
speaker plays it (after what is already queued, or now), and a barge-in removes what was queued
but never played, so an interruption sounds in the recording as it did in the room.

Samples are committed to disk half a second behind the clock (nothing before that point can
change any more) and the header is rewritten on every commit, so the file is a valid WAV up to
its last commit however the run ends.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from voicecli.audio.format import INPUT_RATE, OUTPUT_RATE

RATE = OUTPUT_RATE  # the agent's rate: the user's audio is raised to it, never the agent's lowered
CHANNELS = 2
SAMPLE_BYTES = 2
USER_RATE = INPUT_RATE
# Audio younger than this may still be cut (a barge-in) or filled in (a late user frame).
SETTLE_SAMPLES = RATE // 2
COMMIT_EVERY_SAMPLES = RATE  # write about once a second
# A user frame this far behind the clock means frames were lost: the track jumps to the clock.
USER_RESYNC_SAMPLES = RATE // 5
_HEADER_BYTES = 44


def recording_path(log_path: Path, session_id: str) -> Path:
    """Where a session's recording lives: ``recordings/`` beside the session log."""
    return log_path.parent / "recordings" / f"{session_id}.wav"


class _Track:
    """One channel's samples not yet committed, starting at the recording's ``base`` sample."""

    def __init__(self) -> None:
        self.samples = np.zeros(0, dtype=np.int16)
        self.cursor = 0  # absolute sample where the next audio goes

    def place(self, at: int, samples: np.ndarray, base: int) -> None:
        start = max(at, base) - base
        samples = samples[max(0, base - at):]
        end = start + len(samples)
        if end > len(self.samples):
            grown = np.zeros(max(end, 2 * len(self.samples)), dtype=np.int16)
            grown[: len(self.samples)] = self.samples
            self.samples = grown
        self.samples[start:end] = samples

    def truncate(self, at: int, base: int) -> None:
        keep = max(0, at - base)
        if keep < len(self.samples):
            self.samples[keep:] = 0

    def take(self, count: int) -> np.ndarray:
        head = np.zeros(count, dtype=np.int16)
        available = min(count, len(self.samples))
        head[:available] = self.samples[:available]
        self.samples = self.samples[available:].copy()
        return head


class ConversationRecording:
    """Writes the conversation to ``path`` as it happens; ``close()`` writes the rest."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._clock = clock
        self._file: IO[bytes] | None = None
        self._t0 = 0.0
        self.started_at = 0.0  # wall-clock time of sample 0, for lining up the session log
        self._base = 0  # absolute sample index of the first uncommitted sample
        self._user = _Track()
        self._agent = _Track()
        self._user_started = False
        self._resampler: Any = None  # soxr.ResampleStream, made on the first user frame
        self._frames_written = 0

    # --- life cycle -----------------------------------------------------------------------

    def open(self) -> ConversationRecording:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("wb")
        self._file.write(_header(0))
        self._t0 = self._clock()
        self.started_at = time.time()
        return self

    def close(self) -> None:
        """Audio not yet played when the run ended was never heard: the file stops at the clock."""
        if self._file is None:
            return
        now = self._now()
        self._agent.truncate(now, self._base)
        end = max(now, self._user.cursor)
        self._commit(end)
        self._file.close()
        self._file = None

    def __enter__(self) -> ConversationRecording:
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def seconds(self) -> float:
        return self._frames_written / RATE

    # --- the two sides --------------------------------------------------------------------

    def user(self, frame16k: bytes) -> None:
        """One 16 kHz PCM16 frame the user sent, recorded where it ends: now."""
        if self._file is None:
            return
        samples = self._resample(frame16k)
        now = self._now()
        if not self._user_started or self._user.cursor < now - len(samples) - USER_RESYNC_SAMPLES:
            self._user.cursor = max(0, now - len(samples))
            self._user_started = True
        self._user.place(self._user.cursor, samples, self._base)
        self._user.cursor += len(samples)
        self._maybe_commit(now)

    def agent(self, pcm24k: bytes) -> None:
        """Agent audio handed to the speaker: it plays after what is queued, or now."""
        if self._file is None or not pcm24k:
            return
        samples = np.frombuffer(pcm24k, dtype=np.int16)
        now = self._now()
        start = max(self._agent.cursor, now)
        self._agent.place(start, samples, self._base)
        self._agent.cursor = start + len(samples)
        self._maybe_commit(now)

    def cut(self) -> None:
        """The reply was cut (barge-in): what was queued but not played is removed."""
        if self._file is None:
            return
        now = self._now()
        self._agent.truncate(now, self._base)
        self._agent.cursor = now

    # --- writing --------------------------------------------------------------------------

    def _now(self) -> int:
        return round((self._clock() - self._t0) * RATE)

    def _resample(self, frame16k: bytes) -> np.ndarray:
        import soxr

        if self._resampler is None:
            self._resampler = soxr.ResampleStream(USER_RATE, RATE, 1, dtype="int16")
        pcm = np.frombuffer(frame16k, dtype=np.int16)
        return np.asarray(self._resampler.resample_chunk(pcm), dtype=np.int16)

    def _maybe_commit(self, now: int) -> None:
        settled = now - SETTLE_SAMPLES
        if settled - self._base >= COMMIT_EVERY_SAMPLES:
            self._commit(settled)

    def _commit(self, up_to: int) -> None:
        count = up_to - self._base
        if count <= 0 or self._file is None:
            return
        stereo = np.empty(2 * count, dtype=np.int16)
        stereo[0::2] = self._user.take(count)
        stereo[1::2] = self._agent.take(count)
        self._file.seek(0, 2)
        self._file.write(stereo.astype("<i2").tobytes())
        self._frames_written += count
        self._base = up_to
        self._file.seek(0)
        self._file.write(_header(self._frames_written))
        self._file.flush()


def _header(frames: int) -> bytes:
    data = frames * CHANNELS * SAMPLE_BYTES
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + data, b"WAVE", b"fmt ", 16, 1, CHANNELS, RATE,
        RATE * CHANNELS * SAMPLE_BYTES, CHANNELS * SAMPLE_BYTES, 8 * SAMPLE_BYTES, b"data", data,
    )


class RecordingSink:
    """The agent's side as a sink beside the speaker: it plays into the recording, cuts on flush."""

    def __init__(self, recording: ConversationRecording) -> None:
        self.recording = recording

    def play(self, pcm24k: bytes) -> None:
        self.recording.agent(pcm24k)

    def end_reply(self) -> None:
        """Nothing to do: the recording has no tail to pad."""

    def flush(self) -> float:
        self.recording.cut()
        return 0.0

    @property
    def played_seconds(self) -> float:
        return 0.0

    @property
    def audible(self) -> bool:
        return False

    @property
    def level_dbfs(self) -> float:
        return -120.0

    @property
    def underflows(self) -> int:
        return 0

    async def drain(self) -> None:
        """Nothing to wait for: the speaker beside it does the waiting."""
