"""The speaker's stream stops when idle and starts on a reply's first audio: the queue side, and the
Speaker's stream control against a fake sounddevice (no device needed)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from voicecli.audio import playback
from voicecli.audio.devices import DeviceInfo
from voicecli.audio.playback import PlaybackQueue, Speaker

BLOCK = 120  # 5 ms at 24 kHz


def tone(seconds: float, amplitude: int = 10_000) -> bytes:
    t = np.arange(round(seconds * 24_000)) / 24_000
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.int16).tobytes()


def pull(queue: PlaybackQueue, blocks: int) -> np.ndarray:
    out = np.empty(blocks * BLOCK, np.int16)
    for index in range(blocks):
        queue.fill(out[index * BLOCK : (index + 1) * BLOCK])
    return out


# -- the queue --------------------------------------------------------------------------------------
def test_idle_time_counts_the_silence_after_the_padding_and_restarts_with_audio() -> None:
    queue = PlaybackQueue(latency=0.010, tail_pad_seconds=0.020)
    queue.play(tone(0.010))
    queue.end_reply()
    pull(queue, 4)  # 10 ms of audio, 10 of the 20 ms of padding: not idle yet
    assert queue.idle_seconds == 0.0 and not queue.quiet
    pull(queue, 6)
    assert queue.idle_seconds == pytest.approx(0.020)
    assert queue.quiet
    queue.play(tone(0.010))
    assert not queue.quiet
    pull(queue, 1)
    assert queue.idle_seconds == 0.0


def test_a_queue_with_a_reply_under_way_is_not_quiet_even_when_dry() -> None:
    queue = PlaybackQueue()
    queue.play(tone(0.005))
    pull(queue, 10)  # ran dry mid-reply: an underflow, not a pause to stop in
    assert queue.idle_seconds > 0 and not queue.quiet


def test_discarding_the_device_keeps_only_what_was_heard() -> None:
    queue = PlaybackQueue(latency=0.040)
    queue.play(tone(1.0))
    pull(queue, 40)  # 200 ms handed out, 40 ms of it still in the device
    heard = queue.discard_device()
    assert heard == pytest.approx(0.160)
    assert queue.played_seconds == pytest.approx(0.160)
    assert not queue.audible and not queue.reply_open and queue.pending_seconds == 0
    queue.play(tone(0.1))  # the next reply starts at once, from zero
    assert queue.played_seconds == 0.0
    assert pull(queue, 1).any()


# -- the Speaker's stream control ---------------------------------------------------------------------
class FakeStream:
    def __init__(self, sd: FakeSd, callback: Any, blocksize: int, **_: Any) -> None:
        self.sd, self.callback, self.blocksize = sd, callback, blocksize
        self.latency = 0.010
        self.calls: list[str] = []
        sd.streams.append(self)

    def start(self) -> None:
        if self.sd.start_fails:
            raise self.sd.PortAudioError("start failed")
        self.calls.append("start")

    def abort(self) -> None:
        self.calls.append("abort")

    def stop(self) -> None:
        self.calls.append("stop")

    def close(self) -> None:
        self.calls.append("close")

    def block(self) -> np.ndarray:
        """One callback, as PortAudio's thread would run it; returns what went to the device."""
        out = np.full((self.blocksize, 1), 7, np.int16)
        self.callback(out, self.blocksize, None, SimpleNamespace(output_underflow=False))
        return out[:, 0].copy()


class FakeSd:
    class PortAudioError(Exception):
        pass

    def __init__(self) -> None:
        self.streams: list[FakeStream] = []
        self.start_fails = False

    def check_output_settings(self, **_: Any) -> None:
        return None

    def OutputStream(self, **options: Any) -> FakeStream:  # noqa: N802 - sounddevice's name
        return FakeStream(self, **options)


@pytest.fixture
def fake_sd(monkeypatch: pytest.MonkeyPatch) -> FakeSd:
    sd = FakeSd()
    device = DeviceInfo(0, "fake", "fake", 0, 1, 24_000, False, True)
    monkeypatch.setattr(playback, "open_device", lambda _spec, _kind: (sd, device))
    return sd


async def idle_until_stopped(stream: FakeStream, seconds: float) -> None:
    for _ in range(round(seconds / 0.005) + 1):
        stream.block()
    await asyncio.sleep(0)  # the callback handed the decision to the loop
    await asyncio.sleep(0)


async def test_the_stream_stops_after_the_idle_time_and_starts_with_the_next_reply(fake_sd: FakeSd) -> None:
    async with Speaker(idle_stop_seconds=0.05) as speaker:
        stream = fake_sd.streams[0]
        assert speaker.running and stream.calls == ["start"]
        await idle_until_stopped(stream, 0.05)
        assert not speaker.running and stream.calls == ["start", "abort"]
        audio = tone(0.005)
        speaker.play(audio)
        assert speaker.running and stream.calls[-1] == "start"
        assert stream.block().tobytes() == audio  # the reply's first block, no silence before it
    assert stream.calls[-2:] == ["stop", "close"]  # a running stream drains at the end


async def test_the_stream_keeps_running_while_a_reply_is_under_way_or_not_yet_heard(fake_sd: FakeSd) -> None:
    async with Speaker(idle_stop_seconds=0.02) as speaker:
        stream = fake_sd.streams[0]
        speaker.play(tone(0.01))  # no end_reply: more audio may still come
        await idle_until_stopped(stream, 0.1)
        assert speaker.running
        speaker.end_reply()  # now the padding plays, then the idle time counts
        await idle_until_stopped(stream, 0.1)
        assert speaker.running  # 100 ms of padding was still being handed out
        await idle_until_stopped(stream, 0.05)
        assert not speaker.running
        assert speaker.played_seconds == pytest.approx(0.01)
        assert not speaker.audible


async def test_padding_for_a_stopped_stream_does_not_hold_drain(fake_sd: FakeSd) -> None:
    async with Speaker(idle_stop_seconds=0.02) as speaker:
        await idle_until_stopped(fake_sd.streams[0], 0.02)
        speaker.end_reply()  # e.g. generation complete after a barge-in: nothing to pad
        await asyncio.wait_for(speaker.drain(), 1)
        assert not speaker.running


async def test_with_an_echo_canceller_tap_the_stream_never_stops(fake_sd: FakeSd) -> None:
    blocks: list[int] = []
    async with Speaker(idle_stop_seconds=0.02) as speaker:
        stream = fake_sd.streams[0]
        await idle_until_stopped(stream, 0.02)
        assert not speaker.running
        speaker.on_played = lambda block: blocks.append(block.size)  # the tap restarts it
        assert speaker.running
        await idle_until_stopped(stream, 0.1)
        assert speaker.running
        assert blocks and set(blocks) == {BLOCK}


async def test_without_idle_stop_the_stream_runs_until_closed(fake_sd: FakeSd) -> None:
    async with Speaker(idle_stop_seconds=None) as speaker:
        await idle_until_stopped(fake_sd.streams[0], 0.2)
        assert speaker.running
    assert fake_sd.streams[0].calls == ["start", "stop", "close"]


async def test_a_restart_that_fails_falls_back_to_a_stream_that_always_runs(fake_sd: FakeSd) -> None:
    async with Speaker(idle_stop_seconds=0.02) as speaker:
        first = fake_sd.streams[0]
        await idle_until_stopped(first, 0.02)
        fake_sd.start_fails = True
        speaker.play(tone(0.01))
        assert first.calls[-1] == "close"
        assert speaker.idle_stop_seconds is None and len(fake_sd.streams) == 2
        assert not speaker.running  # the reopened stream could not start either: nothing plays
        fake_sd.start_fails = False


async def test_a_restarted_stream_that_never_calls_back_is_replaced(fake_sd: FakeSd,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(playback, "START_CHECK_SECONDS", 0.01)
    async with Speaker(idle_stop_seconds=0.02) as speaker:
        first = fake_sd.streams[0]
        await idle_until_stopped(first, 0.02)
        speaker.play(tone(0.01))
        await asyncio.sleep(0.05)  # no callback came
        assert first.calls[-1] == "close" and len(fake_sd.streams) == 2
        second = fake_sd.streams[1]
        assert speaker.running and second.calls == ["start"] and speaker.idle_stop_seconds is None
        await idle_until_stopped(second, 0.2)
        assert speaker.running


async def test_the_loop_is_asked_to_stop_the_stream_once_per_pause_at_most(fake_sd: FakeSd) -> None:
    async with Speaker(idle_stop_seconds=0.02) as speaker:
        stream = fake_sd.streams[0]
        asked: list[float] = []
        speaker._stop_if_idle = lambda: asked.append(0.0)  # type: ignore[method-assign]
        speaker.play(tone(0.005))  # a reply under way that ran dry: not a pause
        await idle_until_stopped(stream, 0.1)
        assert asked == []
        speaker.end_reply()
        await idle_until_stopped(stream, 0.2)
        assert len(asked) == 1  # not once per callback
        speaker.on_played = lambda _block: None
        speaker.play(tone(0.005))
        speaker.end_reply()
        await idle_until_stopped(stream, 0.2)
        assert len(asked) == 1  # with a tap it never asks
