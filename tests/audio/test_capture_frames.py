"""The microphone's 20 or 40 ms frames and its level read on demand (no device needed)."""

from __future__ import annotations

import numpy as np
import pytest

from voicecli.audio import capture
from voicecli.audio.capture import LEVEL_INTERVAL_SECONDS, Microphone
from voicecli.audio.levels import SILENCE_DBFS, dbfs
from voicecli.audio.reframer import Reframer
from voicecli.events import FRAME_BYTES


@pytest.mark.parametrize("frame_ms", [20, 40])
def test_forty_ms_frames_hold_the_same_audio_as_twenty_ms_frames(frame_ms: int) -> None:
    samples = (np.random.default_rng(1).standard_normal(48_000) * 3000).astype(np.int16)
    reference = Reframer(48_000, quality="LD")
    reframer = Reframer(48_000, quality="LD", frame_bytes=FRAME_BYTES * frame_ms // 20)
    twenty = b"".join(f for start in range(0, samples.size, 960) for f in reference.push(samples[start:start + 960]))
    frames = [f for start in range(0, samples.size, 960 * frame_ms // 20)
              for f in reframer.push(samples[start:start + 960 * frame_ms // 20])]
    assert {len(frame) for frame in frames} == {FRAME_BYTES * frame_ms // 20}
    assert b"".join(frames) == twenty[: len(b"".join(frames))]


def test_the_frame_length_is_one_of_the_offered_two() -> None:
    assert Microphone(frame_ms=40).block_seconds == pytest.approx(0.040)
    with pytest.raises(ValueError, match="frame_ms"):
        Microphone(frame_ms=30)


def test_the_level_is_computed_when_read_and_at_most_ten_times_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(capture.time, "monotonic", lambda: now[0])
    calls: list[int] = []

    def counting(frame: bytes) -> float:
        calls.append(len(frame))
        return dbfs(frame)

    monkeypatch.setattr(capture, "dbfs", counting)
    mic = Microphone()
    assert mic.level_dbfs == SILENCE_DBFS and not calls  # nothing heard yet
    loud = (np.full(320, 8000, np.int16)).tobytes()
    mic._last_frame = loud
    now[0] += LEVEL_INTERVAL_SECONDS * 1.5
    assert mic.level_dbfs == pytest.approx(dbfs(loud))
    mic._last_frame = bytes(640)
    now[0] += LEVEL_INTERVAL_SECONDS / 2
    assert mic.level_dbfs == pytest.approx(dbfs(loud))  # within the interval: the value read before
    now[0] += LEVEL_INTERVAL_SECONDS
    assert mic.level_dbfs == SILENCE_DBFS
    assert len(calls) == 2
