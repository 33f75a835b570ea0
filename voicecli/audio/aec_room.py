"""A synthetic room for the echo canceller's offline test and bench: what the microphone would hear.

The echo path is the speaker's signal delayed, scaled, a little distorted (small speakers driven hard
are not linear, which a linear filter cannot undo) and smeared by an exponentially decaying reverberant
tail; the user's voice and a noise floor are added on top. Scoring is shared with the device loop:
echo return loss enhancement over the frames where only the agent is heard, and barge-ins as the
local activity detector (LocalVad) starts on the cleaned frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt
import soxr

from voicecli.audio.aec import speech_classifier
from voicecli.audio.vad import LocalVad
from voicecli.events import FRAME_RATE, FRAME_SAMPLES, OUTPUT_RATE, ActivityStart

FloatArray = npt.NDArray[np.float64]
Int16Array = npt.NDArray[np.int16]


class CancellerLike(Protocol):
    def reference(self, pcm: bytes, played_at: float | None = None) -> None: ...
    def process(self, frame: bytes, captured_at: float | None = None) -> bytes: ...


@dataclass(frozen=True)
class Room:
    delay_s: float = 0.080
    """Speaker to processing: device buffers on both sides plus ~1 ms of air."""
    gain_db: float = -6.0
    """Echo level relative to the played signal (laptop speakers a few cm from the mic)."""
    tail_s: float = 0.150
    tail_db: float = -20.0
    """Reverberant energy relative to the direct path."""
    drive: float = 0.3
    """Loudspeaker non-linearity: 0 is linear; the tanh curve bends peaks by about this fraction."""
    noise_dbfs: float = -60.0
    seed: int = 7

    def impulse(self) -> FloatArray:
        rng = np.random.default_rng(self.seed)
        delay = round(self.delay_s * FRAME_RATE)
        tail = round(self.tail_s * FRAME_RATE)
        response = np.zeros(delay + tail + 1)
        response[delay] = 1.0
        decay = np.exp(-np.arange(tail) / (tail / 6.9))  # -60 dB over the tail
        reverb = rng.standard_normal(tail) * decay
        reverb *= math.sqrt(10 ** (self.tail_db / 10) / float(np.sum(reverb**2)))
        response[delay + 1 :] += reverb
        return response * 10 ** (self.gain_db / 20)

    def echo(self, played24k: Int16Array) -> FloatArray:
        """What the microphone hears of the played 24 kHz signal, at 16 kHz."""
        signal = soxr.resample(played24k.astype(np.float32) / 32768, OUTPUT_RATE, FRAME_RATE)
        if self.drive > 0:
            signal = np.tanh(self.drive * 3 * signal) / (self.drive * 3)
        return np.convolve(signal.astype(np.float64), self.impulse())[: signal.size] * 32768

    def microphone(self, played24k: Int16Array, user16k: FloatArray) -> tuple[Int16Array, FloatArray]:
        """(the mic signal, its echo part) for the played audio and the user's voice (same length)."""
        echo = self.echo(played24k)
        size = min(echo.size, user16k.size)
        noise = np.random.default_rng(self.seed + 1).standard_normal(size) * 32768 * 10 ** (self.noise_dbfs / 20)
        mic = np.clip(echo[:size] + user16k[:size] + noise, -32768, 32767).astype(np.int16)
        return mic, echo[:size]


@dataclass
class Score:
    erle_db: float
    """Echo return loss enhancement: echo-only mic power over cleaned power, same frames."""
    barge_ins: int
    """User utterances spoken over the agent during which the detector started."""
    utterances: int
    false_barge_ins: int
    """Detector starts with no user speech in or just before them."""
    echo_only_seconds: float
    starts: list[int] = field(default_factory=list)


def frames_of(samples: Int16Array) -> list[bytes]:
    whole = samples.size // FRAME_SAMPLES * FRAME_SAMPLES
    return [samples[i : i + FRAME_SAMPLES].tobytes() for i in range(0, whole, FRAME_SAMPLES)]


def barge_in_detector() -> LocalVad:
    """The local detector on cleaned frames: LocalVad's defaults with the canceller's level floor."""
    return LocalVad(classifier=speech_classifier())


def activity_starts(frames: Iterable[bytes], vad: Callable[[], LocalVad] = barge_in_detector) -> list[int]:
    """Frame indices at which the detector raises ActivityStart."""
    detector = vad()
    starts = []
    for index, frame in enumerate(frames):
        if any(isinstance(item, ActivityStart) for item in detector.process(frame)):
            starts.append(index)
    return starts


def score(mic: Int16Array, cleaned: Int16Array, agent_frames: npt.NDArray[np.bool_],
          user_spans: list[tuple[int, int]], *, skip_frames: int = 0, late_frames: int = 25,
          vad: Callable[[], LocalVad] = barge_in_detector) -> Score:
    """Score the canceller on frame-aligned signals.

    ``agent_frames`` flags frames where the agent's echo is audible; ``user_spans`` are [start, end)
    frame ranges of user speech. A start inside a span (or up to ``late_frames`` after: the detector
    needs a few voiced frames) detects that utterance; any other start is false. ERLE is measured on
    frames with echo and no user speech, from ``skip_frames`` on (the canceller's first seconds).
    """
    size = min(mic.size, cleaned.size) // FRAME_SAMPLES
    user = np.zeros(size, bool)
    for start, end in user_spans:
        user[start : min(end + late_frames, size)] = True
    echo_only = agent_frames[:size] & ~user
    echo_only[:skip_frames] = False
    mic_f = mic[: size * FRAME_SAMPLES].astype(np.float64).reshape(size, FRAME_SAMPLES)
    out_f = cleaned[: size * FRAME_SAMPLES].astype(np.float64).reshape(size, FRAME_SAMPLES)
    mic_power = float(np.mean(mic_f[echo_only] ** 2)) if echo_only.any() else 0.0
    out_power = float(np.mean(out_f[echo_only] ** 2)) if echo_only.any() else 0.0
    erle = 10 * math.log10(max(mic_power, 1e-9) / max(out_power, 1e-9))
    starts = activity_starts(frames_of(cleaned[: size * FRAME_SAMPLES]), vad)
    hit = sum(any(s <= x < e + late_frames for x in starts) for s, e in user_spans)
    false = sum(not user[x] for x in starts)
    return Score(erle, hit, len(user_spans), false, float(echo_only.sum()) * FRAME_SAMPLES / FRAME_RATE, starts)


def audible_frames(signal16k: FloatArray | Int16Array, threshold_dbfs: float = -55.0) -> npt.NDArray[np.bool_]:
    """Per 20 ms frame of a 16 kHz signal: whether it is above ``threshold_dbfs``."""
    size = signal16k.size // FRAME_SAMPLES
    blocks = np.asarray(signal16k[: size * FRAME_SAMPLES], np.float64).reshape(size, FRAME_SAMPLES)
    level = 10 * np.log10(np.mean(blocks**2, axis=1) + 1e-9) - 20 * math.log10(32768)
    return np.asarray(level > threshold_dbfs)


SPEAKER_BLOCK_SECONDS = 0.005


def cancel_offline(canceller: CancellerLike, played24k: Int16Array, mic: Int16Array) -> Int16Array:
    """Run a canceller over a recorded scene as the devices would drive it, faster than real time.

    The speaker hands 5 ms blocks to ``reference`` stamped with the moment they are heard; frame k of
    the microphone is processed stamped with the moment its newest sample was captured. Times are the
    scene's own clock, so no waiting is involved.
    """
    block = round(OUTPUT_RATE * SPEAKER_BLOCK_SECONDS)
    played = np.concatenate([played24k, np.zeros(-played24k.size % block, np.int16)])
    out = []
    next_block = 0
    for index, frame in enumerate(frames_of(mic)):
        captured_at = (index + 1) * FRAME_SAMPLES / FRAME_RATE
        # The speaker runs ahead of the microphone by its block: hand over what is heard by then.
        while next_block * block < played.size and next_block * SPEAKER_BLOCK_SECONDS <= captured_at:
            canceller.reference(played[next_block * block : (next_block + 1) * block].tobytes(),
                                played_at=next_block * SPEAKER_BLOCK_SECONDS)
            next_block += 1
        out.append(canceller.process(frame, captured_at=captured_at))
    return np.frombuffer(b"".join(out), np.int16)


@dataclass
class Scene:
    played24k: Int16Array
    """What the speaker plays: the agent's replies with pauses between them."""
    user16k: FloatArray
    """The user's voice as it reaches the microphone."""
    user_spans: list[tuple[int, int]]
    """[start, end) frames of each user utterance."""


def agent_track(clips24k: Iterable[Int16Array], *, pause_s: float = 0.4, lead_s: float = 0.5) -> Int16Array:
    gap = np.zeros(round(pause_s * OUTPUT_RATE), np.int16)
    parts: list[Int16Array] = [np.zeros(round(lead_s * OUTPUT_RATE), np.int16)]
    for clip in clips24k:
        parts += [clip, gap]
    return np.concatenate(parts)


def scene(played24k: Int16Array, user_clips: Iterable[tuple[float, Int16Array]], *,
          user_gain_db: float = 0.0) -> Scene:
    """A scene: ``played24k`` on the speaker, and each (seconds, 16 kHz clip) of the user at its time."""
    size = played24k.size * FRAME_RATE // OUTPUT_RATE
    user = np.zeros(size)
    spans = []
    for at_s, clip in user_clips:
        start = round(at_s * FRAME_RATE)
        end = min(size, start + clip.size)
        if start >= end:
            continue
        user[start:end] += clip[: end - start].astype(np.float64) * 10 ** (user_gain_db / 20)
        voiced = np.flatnonzero(audible_frames(clip[: end - start], -45.0))
        if voiced.size:
            first = start // FRAME_SAMPLES
            spans.append((first + int(voiced[0]), first + int(voiced[-1]) + 1))
    return Scene(played24k, user, spans)
