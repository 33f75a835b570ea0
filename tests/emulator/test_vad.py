"""Server-side activity detection on synthesized speech with a known layout."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np
import pytest

from voicecli.emulator.vad import ServerVad, SpeechEnded, SpeechStarted, VadEvent
from voicecli.speech.tts import synthesize

RATE = 16_000
LINES = (
    "Hello there, how are you today?",
    "I would like to book an appointment for next Tuesday, please.",
    "Thanks.",
)
TOLERANCE_S = 0.12


@dataclass(frozen=True)
class Recording:
    pcm: bytes
    utterances: list[tuple[float, float]]  # where speech really starts and ends, in seconds


def silence(seconds: float, rate: int = RATE) -> np.ndarray:
    return np.zeros(round(seconds * rate), dtype=np.int16)


def speech(text: str, rate: int = RATE) -> np.ndarray:
    return np.frombuffer(synthesize(text, rate=rate), dtype="<i2")


def layout(
    lines: tuple[str, ...] = LINES, gap_s: float = 1.0, lead_s: float = 0.5, rate: int = RATE
) -> Recording:
    parts = [silence(lead_s, rate)]
    utterances = []
    position = lead_s
    for line in lines:
        audio = speech(line, rate)
        audible = np.flatnonzero(np.abs(audio) > 300)
        utterances.append((position + audible[0] / rate, position + (audible[-1] + 1) / rate))
        parts += [audio, silence(gap_s, rate)]
        position += len(audio) / rate + gap_s
    return Recording(np.concatenate(parts).astype("<i2").tobytes(), utterances)


def with_noise(pcm: bytes, snr_db: float, seed: int = 7) -> bytes:
    """Add white noise ``snr_db`` below the speech level (RMS of the samples that are not silent)."""
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    speech_rms = np.sqrt(np.mean(audio[np.abs(audio) > 300] ** 2))
    noise = np.random.default_rng(seed).normal(0.0, speech_rms * 10 ** (-snr_db / 20), len(audio))
    return np.clip(audio + noise, -32_768, 32_767).astype("<i2").tobytes()


def run(vad: ServerVad, pcm: bytes, chunk_bytes: int | None = None) -> list[VadEvent]:
    step = chunk_bytes or max(1, len(pcm))
    events: list[VadEvent] = []
    for start in range(0, len(pcm), step):
        events += vad.push(pcm[start : start + step])
    return events + vad.flush()


def spans(events: list[VadEvent]) -> list[tuple[float, float]]:
    """Pair the events into (start, end) utterances, checking they alternate."""
    starts = [e.offset_s for e in events[0::2] if isinstance(e, SpeechStarted)]
    ends = [e.offset_s for e in events[1::2] if isinstance(e, SpeechEnded)]
    assert len(starts) == len(ends) == len(events) // 2 and len(events) % 2 == 0, events
    return list(zip(starts, ends, strict=True))


def assert_matches_layout(found: list[tuple[float, float]], expected: list[tuple[float, float]]) -> None:
    assert len(found) == len(expected), found
    for (start, end), (true_start, true_end) in zip(found, expected, strict=True):
        assert start == pytest.approx(true_start, abs=TOLERANCE_S)
        assert end == pytest.approx(true_end, abs=TOLERANCE_S)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return layout()


def test_finds_each_utterance_where_it_is(recording: Recording) -> None:
    assert_matches_layout(spans(run(ServerVad(), recording.pcm)), recording.utterances)


def test_works_at_other_rates() -> None:
    recording = layout(rate=24_000)
    events = run(ServerVad(rate=24_000), recording.pcm)
    assert_matches_layout(spans(events), recording.utterances)


def test_events_do_not_depend_on_how_audio_is_chunked(recording: Recording) -> None:
    whole = run(ServerVad(), recording.pcm)
    rng = np.random.default_rng(3)
    for _ in range(3):
        vad = ServerVad()
        events: list[VadEvent] = []
        position = 0
        while position < len(recording.pcm):
            size = int(rng.integers(1, 1_500))  # odd sizes split samples in half
            events += vad.push(recording.pcm[position : position + size])
            position += size
        assert events + vad.flush() == whole
    opening = recording.pcm[: RATE * 2 * 3]
    for size in (1, 3, 641):
        assert run(ServerVad(), opening, size) == run(ServerVad(), opening)


async def test_real_time_pacing_and_a_burst_give_the_same_events() -> None:
    short = layout(lines=("Hello there.",), gap_s=0.6, lead_s=0.2)
    frame = RATE * 2 // 50
    paced = ServerVad()
    paced_events: list[VadEvent] = []
    for start in range(0, len(short.pcm), frame):
        paced_events += paced.push(short.pcm[start : start + frame])
        await asyncio.sleep(0.004)
    paced_events += paced.flush()
    assert paced_events == run(ServerVad(), short.pcm)
    assert len(paced_events) == 2


def test_silence_starts_nothing() -> None:
    vad = ServerVad()
    assert vad.push(silence(10.0).tobytes()) == []
    assert vad.flush() == []


def test_light_white_noise_alone_starts_nothing(recording: Recording) -> None:
    # Noise at the level it has 30 dB under this speech, with no speech at all.
    noisy = with_noise(recording.pcm, snr_db=30)
    clean = np.frombuffer(recording.pcm, dtype="<i2").astype(np.int32)
    noise_only = (np.frombuffer(noisy, dtype="<i2").astype(np.int32) - clean).astype("<i2")
    for sensitivity in ("START_SENSITIVITY_HIGH", "START_SENSITIVITY_LOW"):
        assert run(ServerVad(start_sensitivity=sensitivity), noise_only.tobytes()) == []


def test_speech_in_light_noise_is_found_without_extra_starts(recording: Recording) -> None:
    events = run(ServerVad(), with_noise(recording.pcm, snr_db=30))
    assert_matches_layout(spans(events), recording.utterances)


def test_noise_that_starts_mid_stream_is_absorbed() -> None:
    # Digital silence, then 8 s of steady low noise: at most one short false start while the floor adapts.
    quiet = silence(1.0)
    noise = np.random.default_rng(1).normal(0, 40, RATE * 8).astype("<i2")  # about -58 dBFS
    events = run(ServerVad(), np.concatenate([quiet, noise]).tobytes())
    assert len(events) <= 2


def test_a_short_blip_starts_high_sensitivity_only() -> None:
    t = np.arange(round(0.12 * RATE)) / RATE
    blip = (6_000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    pcm = np.concatenate([silence(0.5), blip, silence(1.0)]).tobytes()
    assert len(run(ServerVad(start_sensitivity="START_SENSITIVITY_HIGH"), pcm)) == 2
    assert run(ServerVad(start_sensitivity="START_SENSITIVITY_LOW"), pcm) == []


def test_quiet_speech_is_heard_by_high_start_sensitivity_only() -> None:
    audio = (speech(LINES[0]) * 10 ** (-33 / 20)).astype(np.int16)  # speech peaking far below normal
    pcm = np.concatenate([silence(0.5), audio, silence(1.0)]).tobytes()
    high = run(ServerVad(start_sensitivity="START_SENSITIVITY_HIGH"), pcm)
    low = run(ServerVad(start_sensitivity="START_SENSITIVITY_LOW"), pcm)
    assert len(high) >= 2
    assert len(low) < len(high)


def firing_times(vad: ServerVad, pcm: bytes) -> list[tuple[type, float]]:
    """The audio-clock time at which each event is emitted, pushing 10 ms at a time."""
    fired: list[tuple[type, float]] = []
    step = RATE * 2 // 100
    for start in range(0, len(pcm), step):
        fired += [(type(event), vad.clock_s) for event in vad.push(pcm[start : start + step])]
    return fired


def test_a_larger_prefix_padding_commits_later_but_reports_the_same_onset() -> None:
    pcm = np.concatenate([silence(0.5), speech(LINES[1]), silence(1.0)]).tobytes()
    fired_at = []
    onsets = []
    for padding in (0, 100, 300):
        vad = ServerVad(prefix_padding_ms=padding)
        fired_at.append(firing_times(vad, pcm)[0][1])
        onsets.append(run(ServerVad(prefix_padding_ms=padding), pcm)[0].offset_s)
    assert fired_at[0] <= fired_at[1] < fired_at[2]
    assert fired_at[2] - onsets[2] >= 0.3
    assert max(onsets) - min(onsets) <= 0.05


def test_prefix_padding_longer_than_a_blip_ignores_it() -> None:
    t = np.arange(round(0.15 * RATE)) / RATE
    blip = (6_000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    pcm = np.concatenate([silence(0.5), blip, silence(1.0)]).tobytes()
    assert len(run(ServerVad(prefix_padding_ms=50), pcm)) == 2
    assert run(ServerVad(prefix_padding_ms=300), pcm) == []


def test_low_end_sensitivity_ends_later() -> None:
    pcm = np.concatenate([silence(0.5), speech(LINES[0]), silence(2.0)]).tobytes()
    high = firing_times(ServerVad(end_sensitivity="END_SENSITIVITY_HIGH"), pcm)
    low = firing_times(ServerVad(end_sensitivity="END_SENSITIVITY_LOW"), pcm)
    assert [kind for kind, _ in high] == [kind for kind, _ in low] == [SpeechStarted, SpeechEnded]
    assert high[1][1] < low[1][1]


def test_silence_duration_sets_the_hangover_and_what_splits_an_utterance() -> None:
    parts = [silence(0.5), speech(LINES[0]), silence(0.4), speech(LINES[2]), silence(2.0)]
    pcm = np.concatenate(parts).tobytes()
    short = run(ServerVad(silence_duration_ms=250), pcm)
    long = run(ServerVad(silence_duration_ms=800), pcm)
    assert len(spans(short)) == 2
    assert len(spans(long)) == 1
    ended_at = [firing_times(ServerVad(silence_duration_ms=ms), pcm)[-1][1] for ms in (800, 1200)]
    assert ended_at[1] - ended_at[0] == pytest.approx(0.4, abs=0.011)


def test_a_resumed_clock_shifts_every_event(recording: Recording) -> None:
    fresh = run(ServerVad(), recording.pcm)
    resumed = run(ServerVad(clock_s=125.5), recording.pcm)
    assert [type(e) for e in resumed] == [type(e) for e in fresh]
    for before, after in zip(fresh, resumed, strict=True):
        assert after.offset_s == pytest.approx(before.offset_s + 125.5, abs=1e-9)


def test_the_clock_counts_whole_samples_consumed() -> None:
    vad = ServerVad(clock_s=2.0)
    vad.push(b"\x00" * 321)  # 160 samples and a half
    assert vad.clock_s == pytest.approx(2.0 + 160 / RATE)
    vad.push(b"\x00")
    assert vad.clock_s == pytest.approx(2.0 + 161 / RATE)


def test_flush_ends_speech_in_progress_and_nothing_otherwise() -> None:
    audio = speech(LINES[1])
    vad = ServerVad()
    events = vad.push(np.concatenate([silence(0.3), audio[:RATE]]).tobytes())
    assert [type(e) for e in events] == [SpeechStarted]
    assert vad.in_speech
    ended = vad.flush()
    assert [type(e) for e in ended] == [SpeechEnded]
    assert ended[0].offset_s <= vad.clock_s
    assert not vad.in_speech
    assert vad.flush() == []


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("start_sensitivity_high", "end_sensitivity_high"),
        ("START_SENSITIVITY_UNSPECIFIED", "END_SENSITIVITY_UNSPECIFIED"),
        ("High", "high"),
        ("", ""),
    ],
)
def test_sensitivity_names_are_case_insensitive_and_unspecified_is_the_default(
    start: str, end: str, recording: Recording
) -> None:
    expected = run(ServerVad(), recording.pcm)
    assert run(ServerVad(start_sensitivity=start, end_sensitivity=end), recording.pcm) == expected


@pytest.mark.parametrize(
    "arguments",
    [
        {"start_sensitivity": "START_SENSITIVITY_MEDIUM"},
        {"end_sensitivity": "START_SENSITIVITY_HIGH"},
        {"rate": 0},
        {"silence_duration_ms": -1},
        {"prefix_padding_ms": -5},
        {"clock_s": -1.0},
    ],
)
def test_bad_settings_are_refused_clearly(arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"sensitivity|positive|negative"):
        ServerVad(**arguments)  # type: ignore[arg-type]
