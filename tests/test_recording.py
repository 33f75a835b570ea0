"""The stereo recording: both sides on one clock, barge-ins audible, a valid file at every commit."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from voicecli.recording import RATE, ConversationRecording, RecordingSink, recording_path


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def tone(seconds: float, rate: int, hz: float = 440.0, amplitude: int = 10_000) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def channels(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with wave.open(str(path), "rb") as reader:
        assert (reader.getnchannels(), reader.getframerate(), reader.getsampwidth()) == (2, RATE, 2)
        data = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    return data[0::2], data[1::2]


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0


def speak_user(recording: ConversationRecording, clock: Clock, samples16k: np.ndarray) -> None:
    for start in range(0, len(samples16k), 320):
        clock.now += 0.02
        recording.user(samples16k[start : start + 320].tobytes())


def test_the_user_is_left_the_agent_right_on_one_clock(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "r.wav"
    with ConversationRecording(path, clock=clock) as recording:
        speak_user(recording, clock, tone(1.0, 16_000))  # the user speaks for the first second
        clock.now += 0.5
        recording.agent(tone(1.0, RATE, hz=660).tobytes())  # the agent replies at 1.5 s
        clock.now += 1.2  # and is played out
    left, right = channels(path)
    assert len(left) == pytest.approx(2.7 * RATE, abs=RATE * 0.02)
    assert rms(left[: RATE]) > 5000 and rms(left[int(1.1 * RATE):]) == 0
    assert rms(right[: int(1.45 * RATE)]) == 0
    assert rms(right[int(1.55 * RATE) : int(2.45 * RATE)]) > 5000


def test_a_barge_in_removes_what_was_queued_but_never_played(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "r.wav"
    with ConversationRecording(path, clock=clock) as recording:
        sink = RecordingSink(recording)
        sink.play(tone(3.0, RATE).tobytes())  # a 3 s reply arrives at once, faster than it plays
        clock.now += 0.8
        sink.flush()  # the user spoke over it at 0.8 s
        clock.now += 1.0
    _, right = channels(path)
    assert rms(right[: int(0.75 * RATE)]) > 5000
    assert rms(right[int(0.81 * RATE) :]) == 0
    assert len(right) == pytest.approx(1.8 * RATE, abs=2)


def test_audio_arriving_faster_than_real_time_plays_in_order(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "r.wav"
    with ConversationRecording(path, clock=clock) as recording:
        first, second = tone(0.5, RATE, hz=300), tone(0.5, RATE, hz=900)
        recording.agent(first.tobytes())
        recording.agent(second.tobytes())  # queued behind the first, not on top of it
        clock.now += 1.0
    _, right = channels(path)
    np.testing.assert_array_equal(right[: len(first)], first)
    np.testing.assert_array_equal(right[len(first) : 2 * len(first)], second)


def test_the_file_is_a_valid_wav_before_it_is_closed(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "r.wav"
    recording = ConversationRecording(path, clock=clock).open()
    speak_user(recording, clock, tone(3.0, 16_000))
    left, _ = channels(path)  # as a crash would leave it
    assert len(left) >= 2 * RATE - 1  # committed up to half a second behind the clock
    recording.close()
    left, _ = channels(path)
    assert len(left) == pytest.approx(3.0 * RATE, abs=RATE * 0.02)


def test_lost_microphone_frames_leave_a_gap_not_a_shift(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "r.wav"
    with ConversationRecording(path, clock=clock) as recording:
        speak_user(recording, clock, tone(0.5, 16_000))
        clock.now += 1.0  # a second of frames never arrived
        speak_user(recording, clock, tone(0.5, 16_000))
    left, _ = channels(path)
    assert rms(left[int(0.55 * RATE) : int(1.45 * RATE)]) == 0
    assert rms(left[int(1.55 * RATE) : int(1.95 * RATE)]) > 5000


def test_recordings_live_beside_the_session_log(tmp_path: Path) -> None:
    assert recording_path(tmp_path / "sessions.sqlite3", "abc") == tmp_path / "recordings" / "abc.wav"
