"""The echo canceller offline: a synthetic room (delay, level, loudspeaker distortion, reverberation)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from voicecli.audio import aec
from voicecli.errors import AudioError

needs_aec = pytest.mark.skipif(not aec.available(), reason=aec.unavailable_reason() or "")

AGENT = [
    "Thanks for calling the front desk. I can help you book a room, check an order, or answer questions.",
    "We have rooms this weekend, and breakfast is included with every booking made before Friday.",
]
USER = "Wait, stop, I need to talk to a person."


@pytest.mark.parametrize(("name", "expected"), [
    ("Built-in Audio Analog Stereo", False), ("pulse", False), (None, False),
    ("Jabra Evolve2 Headset", True), ("Sony WH-1000XM4 Headphones", True), ("AirPods Pro", True),
    ("Galaxy Buds2 Hands-Free", True), ("USB Earphone", True),
])
def test_headset_names(name: str | None, expected: bool) -> None:
    assert aec.is_headset(name) is expected


def test_flags_force_either_way_and_the_default_follows_install_and_device() -> None:
    assert aec.should_enable("AirPods Pro", True) is True
    assert aec.should_enable("Built-in Speakers", False) is False
    assert aec.should_enable("AirPods Pro", None) is False
    assert aec.should_enable("Built-in Speakers", None) is aec.available()


def test_missing_library_is_one_line_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert not aec.available()
    reason = aec.unavailable_reason()
    assert reason is not None and "\n" not in reason and aec.EXTRA in reason
    assert aec.should_enable("Built-in Speakers", None) is False


def test_the_detector_floor_ignores_faint_sound_that_webrtcvad_would_call_speech() -> None:
    from voicecli.speech.tts import synthesize

    speech = np.frombuffer(synthesize(USER, rate=16_000), np.int16)
    frames = [speech[i : i + 320] for i in range(0, speech.size - 320, 320)]
    loud = [f.tobytes() for f in frames if np.abs(f).max() > 2000]
    faint = [(f.astype(np.float64) * 0.003).astype(np.int16).tobytes() for f in frames]  # ~-55 dBFS and below
    classify = aec.speech_classifier()
    assert sum(map(classify, loud)) > len(loud) // 2
    assert not any(map(classify, faint))


@needs_aec
def test_frames_must_be_20_ms() -> None:
    with pytest.raises(AudioError, match="640 bytes"):
        aec.EchoCanceller().process(b"\0" * 320)


@needs_aec
@pytest.mark.parametrize("delay_s", [0.08, 0.8])
def test_echo_is_removed_and_speech_over_it_is_detected(delay_s: float) -> None:
    from voicecli.audio import aec_room as room
    from voicecli.speech.tts import synthesize

    agent = [np.frombuffer(synthesize(text, rate=24_000), np.int16) for text in AGENT]
    user = np.frombuffer(synthesize(USER, rate=16_000, voice="en-us+f3"), np.int16)
    played = room.agent_track(agent * 2)
    scene = room.scene(played, [(8.0, user), (16.0, user)], user_gain_db=-6)
    acoustics = room.Room(delay_s=delay_s)
    mic, echo = acoustics.microphone(scene.played24k, scene.user16k)

    canceller = aec.EchoCanceller()
    cleaned = room.cancel_offline(canceller, scene.played24k, mic)
    result = room.score(mic, cleaned, room.audible_frames(echo), scene.user_spans, skip_frames=250)
    without = room.score(mic, mic, room.audible_frames(echo), scene.user_spans)

    assert result.erle_db > 20
    assert result.barge_ins == result.utterances == 2
    # Beyond ~0.5 s AEC3 cannot cancel until the bulk delay is measured (~2.5 s of agent speech): at
    # most one false start there; within its reach, none.
    assert result.false_barge_ins <= (1 if delay_s > 0.5 else 0)
    assert without.barge_ins < 2  # the echo alone keeps the detector busy: the problem being solved
    if delay_s > 0.5:  # beyond AEC3's own reach: the bulk delay was found
        assert canceller.delay_estimate_s == pytest.approx(delay_s, abs=0.06)
