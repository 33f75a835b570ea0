from __future__ import annotations

import pytest

from voicecli.events import FRAME_BYTES
from voicecli.live.gap import GapBuffer


def frame(n: int) -> bytes:
    return n.to_bytes(2, "little") * (FRAME_BYTES // 2)


def test_keeps_frames_in_order_and_drains() -> None:
    gap = GapBuffer(max_seconds=1.0)
    for n in range(10):
        gap.push(frame(n))
    assert len(gap) == 10
    assert gap.buffered_seconds == pytest.approx(0.2)
    assert gap.drain() == [frame(n) for n in range(10)]
    assert len(gap) == 0
    assert gap.buffered_bytes == 0
    assert gap.dropped_frames == 0


def test_drops_the_oldest_and_counts_them() -> None:
    gap = GapBuffer(max_seconds=1.0)  # 50 frames of 20 ms
    for n in range(80):
        gap.push(frame(n))
    assert gap.dropped_frames == 30
    assert gap.dropped_bytes == 30 * FRAME_BYTES
    assert gap.dropped_seconds == pytest.approx(0.6)
    assert gap.drain() == [frame(n) for n in range(30, 80)]


def test_a_single_oversized_frame_is_kept() -> None:
    gap = GapBuffer(max_seconds=0.01)
    gap.push(b"\x00" * 1000)
    assert len(gap) == 1
    assert gap.dropped_frames == 0


def test_rejects_a_non_positive_bound() -> None:
    with pytest.raises(ValueError, match="positive"):
        GapBuffer(max_seconds=0)
