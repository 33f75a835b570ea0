from __future__ import annotations

import numpy as np
import pytest

from voicecli.audio.levels import SILENCE_DBFS
from voicecli.audio.playback import PlaybackQueue
from voicecli.errors import AudioError

BLOCK = 480  # 20 ms at 24 kHz


def tone(seconds: float, rate: int = 24_000, amplitude: int = 10_000) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.int16).tobytes()


def pull(queue: PlaybackQueue, blocks: int, block: int = BLOCK) -> np.ndarray:
    out = []
    for _ in range(blocks):
        buffer = np.empty(block, np.int16)
        queue.fill(buffer)
        out.append(buffer)
    return np.concatenate(out)


def test_plays_what_was_queued_then_silence() -> None:
    queue = PlaybackQueue()
    audio = tone(0.05)
    queue.play(audio)
    queue.end_reply()
    played = pull(queue, 4)
    assert played[:1200].tobytes() == audio
    assert not played[1200:].any()


def test_played_seconds_follows_the_read_position_minus_device_latency() -> None:
    queue = PlaybackQueue(latency=0.040)
    queue.play(tone(1.0))
    pull(queue, 10)  # 200 ms handed to the device, 40 ms of it not yet out of the speaker
    assert queue.played_seconds == pytest.approx(0.160)
    assert queue.audible


def test_after_a_flush_the_device_buffer_plays_out_and_then_nothing_is_audible() -> None:
    queue = PlaybackQueue(latency=0.040, fade_seconds=0.005)
    queue.play(tone(1.0))
    pull(queue, 10)
    assert queue.flush() == pytest.approx(0.205)
    assert queue.audible
    pull(queue, 2)  # the fade, then 35 ms of silence: part of the tail is still in the device
    assert queue.audible and queue.played_seconds < 0.205
    pull(queue, 1)
    assert not queue.audible
    assert queue.played_seconds == pytest.approx(0.205)


def test_end_reply_pads_at_least_the_latency_and_the_whole_reply_counts_as_heard() -> None:
    queue = PlaybackQueue(latency=0.150, tail_pad_seconds=0.1)
    queue.play(tone(0.2))
    queue.end_reply()
    assert queue.pending_seconds == pytest.approx(0.2 + 0.150)
    pull(queue, 20)
    assert queue.played_seconds == pytest.approx(0.2)
    assert not queue.audible
    assert queue.underflows == 0  # running dry after the reply ended is not an underflow


def test_a_new_reply_restarts_the_played_position() -> None:
    queue = PlaybackQueue()
    queue.play(tone(0.1))
    queue.end_reply()
    pull(queue, 20)
    queue.play(tone(0.5))
    assert queue.played_seconds == 0.0
    pull(queue, 5)
    assert queue.played_seconds == pytest.approx(0.1)


def test_flush_silences_within_one_block_with_a_short_fade() -> None:
    queue = PlaybackQueue(fade_seconds=0.005)
    queue.play(np.full(24_000, 12_000, np.int16).tobytes())
    pull(queue, 5)
    heard = queue.flush()
    assert heard == pytest.approx(0.105)  # what was handed out plus the 5 ms fade
    after = pull(queue, 2)
    fade = after[:120]
    assert fade[0] == 12_000 and fade[-1] == 0
    assert np.all(np.diff(fade.astype(int)) <= 0)  # a ramp, not a click
    assert not after[120:].any()
    assert queue.played_seconds == pytest.approx(0.105)
    assert not queue.audible


def test_running_dry_mid_reply_counts_an_underflow_and_ramps_down() -> None:
    queue = PlaybackQueue(fade_seconds=0.005)
    queue.play(np.full(600, 8_000, np.int16).tobytes())
    block = pull(queue, 2)
    assert queue.underflows == 1
    assert block[:480].tolist() == [8_000] * 480
    assert block[599] == 0 and block[480] == 8_000
    assert np.all(np.diff(block[480:600].astype(int)) <= 0)


def test_silence_between_replies_is_not_an_underflow() -> None:
    queue = PlaybackQueue()
    pull(queue, 3)
    assert queue.underflows == 0


def test_level_reports_the_chunk_being_heard() -> None:
    queue = PlaybackQueue()
    queue.play(tone(0.1, amplitude=16_384))  # -9 dBFS
    queue.play(tone(0.1, amplitude=1_638))  # -29 dBFS
    assert queue.level_dbfs == pytest.approx(-9.0, abs=0.2)
    pull(queue, 6)
    assert queue.level_dbfs == pytest.approx(-29.0, abs=0.2)
    pull(queue, 5)
    assert queue.level_dbfs == SILENCE_DBFS


def test_device_rates_other_than_24k_are_resampled_and_fully_drained_at_the_end() -> None:
    queue = PlaybackQueue(48_000)
    queue.play(tone(0.5))
    queue.end_reply()
    assert queue.played_seconds == 0.0
    played = pull(queue, 40, block=960)
    assert queue.played_seconds == pytest.approx(0.5, abs=0.001)
    spectrum = np.abs(np.fft.rfft(played.astype(float)))
    peak = np.fft.rfftfreq(played.size, 1 / 48_000)[np.argmax(spectrum)]
    assert peak == pytest.approx(440, abs=2)


def test_odd_byte_counts_are_refused() -> None:
    with pytest.raises(AudioError, match="whole PCM16 samples"):
        PlaybackQueue().play(b"\x00\x01\x02")


def test_a_new_reply_does_not_wait_behind_the_last_ones_tail_padding() -> None:
    queue = PlaybackQueue(tail_pad_seconds=0.1)
    queue.play(tone(0.02))
    queue.end_reply()
    pull(queue, 1)  # the reply is out; 100 ms of padding is still queued
    assert not queue.audible
    second = tone(0.02, amplitude=5_000)
    queue.play(second)
    assert pull(queue, 1).tobytes() == second  # the very next block, not 100 ms later
    assert queue.played_seconds == pytest.approx(0.02)


def test_padding_stays_while_the_last_reply_is_still_queued() -> None:
    queue = PlaybackQueue(tail_pad_seconds=0.1)
    first, second = tone(0.04), tone(0.02, amplitude=5_000)
    queue.play(first)
    queue.end_reply()
    queue.play(second)  # arrives before the first reply was played: it follows the first one's padding
    played = pull(queue, 8)
    assert played[:960].tobytes() == first
    assert not played[960:3360].any()
    assert played[3360:3840].tobytes() == second


def test_a_reopened_stream_s_latency_counts_from_then_on() -> None:
    queue = PlaybackQueue(latency=0.010)
    queue.set_latency(0.040)
    queue.play(tone(1.0))
    pull(queue, 10)
    assert queue.played_seconds == pytest.approx(0.160)
    assert queue.tail_pad_samples >= 960
