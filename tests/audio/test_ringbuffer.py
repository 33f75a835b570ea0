from __future__ import annotations

from collections import deque

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from voicecli.audio.ringbuffer import RingBuffer, apply_fade_out


def test_reads_come_back_in_order_across_the_wrap() -> None:
    ring = RingBuffer(16)
    ring.write(np.arange(10, dtype=np.int16))
    out = np.empty(8, np.int16)
    assert ring.read_into(out) == 8
    ring.write(np.arange(10, 20, dtype=np.int16))  # wraps around the end of the storage
    out = np.empty(12, np.int16)
    assert ring.read_into(out) == 12
    assert out.tolist() == list(range(8, 20))
    assert (ring.read_pos, ring.write_pos, len(ring)) == (20, 20, 0)


def test_a_short_read_is_padded_with_silence() -> None:
    ring = RingBuffer(16)
    ring.write(np.array([5, 6, 7], np.int16))
    out = np.full(6, 99, np.int16)
    assert ring.read_into(out) == 3
    assert out.tolist() == [5, 6, 7, 0, 0, 0]


def test_writes_beyond_capacity_grow_instead_of_dropping() -> None:
    ring = RingBuffer(16)
    ring.write(np.arange(5, dtype=np.int16))
    ring.read_into(np.empty(3, np.int16))  # the head is now mid-buffer
    ring.write(np.arange(5, 105, dtype=np.int16))
    assert ring.capacity >= 102
    out = np.empty(102, np.int16)
    ring.read_into(out)
    assert out.tolist() == [3, 4, *range(5, 105)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 70)), max_size=60))
def test_matches_a_simple_queue_for_any_sequence_of_writes_and_reads(ops: list[tuple[bool, int]]) -> None:
    ring, model, counter = RingBuffer(16), deque[int](), 0
    for is_write, count in ops:
        if is_write:
            chunk = [(counter + i) % 30000 for i in range(count)]
            counter += count
            ring.write(np.array(chunk, np.int16))
            model.extend(chunk)
        else:
            out = np.empty(count, np.int16)
            got = ring.read_into(out)
            expected = [model.popleft() for _ in range(min(count, len(model)))]
            assert out[:got].tolist() == expected
            assert not out[got:].any()
        assert len(ring) == len(model)


def test_fade_out_keeps_a_ramped_head_and_drops_the_rest() -> None:
    ring = RingBuffer(16)
    ring.write(np.full(40, 1000, np.int16))
    ring.read_into(np.empty(10, np.int16))
    dropped = ring.fade_out(5)
    assert dropped == 25
    out = np.empty(8, np.int16)
    assert ring.read_into(out) == 5
    assert out.tolist() == [1000, 750, 500, 250, 0, 0, 0, 0]


def test_fade_out_of_less_than_the_fade_length_keeps_what_there_is() -> None:
    ring = RingBuffer(16)
    ring.write(np.full(3, -900, np.int16))
    assert ring.fade_out(10) == 0
    out = np.empty(3, np.int16)
    ring.read_into(out)
    assert out.tolist() == [-900, -450, 0]


def test_apply_fade_out_is_monotonic_down_to_zero() -> None:
    faded = apply_fade_out(np.full(120, 20000, np.int16))
    assert faded[0] == 20000
    assert faded[-1] == 0
    assert np.all(np.diff(faded.astype(int)) <= 0)
    assert apply_fade_out(np.zeros(0, np.int16)).size == 0


def test_clear_discards_and_counts() -> None:
    ring = RingBuffer(16)
    ring.write(np.ones(7, np.int16))
    assert ring.clear() == 7
    assert len(ring) == 0
    assert ring.read_pos == ring.write_pos == 7


def test_fade_out_keeps_positions_continuous() -> None:
    ring = RingBuffer(16)
    ring.write(np.ones(12, np.int16))
    ring.read_into(np.empty(10, np.int16))
    ring.write(np.ones(12, np.int16))  # wraps
    ring.fade_out(4)
    assert (ring.read_pos, ring.write_pos) == (10, 14)
