from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from voicecli.audio.vad import LocalVad
from voicecli.errors import AudioError
from voicecli.events import FRAME_BYTES, FRAME_SAMPLES, ActivityEnd, ActivityStart

VOICED, QUIET = 1, 0


def frame(number: int, voiced: bool) -> bytes:
    """A frame that carries its own sequence number and label, for a scripted classifier."""
    return np.array([number, int(voiced)] + [0] * (FRAME_SAMPLES - 2), np.int16).tobytes()


def scripted(pattern: str) -> list[bytes]:
    return [frame(i, ch == "x") for i, ch in enumerate(pattern)]


def label(frame_bytes: bytes) -> bool:
    return bool(np.frombuffer(frame_bytes, np.int16)[1])


def number(item: object) -> object:
    return int(np.frombuffer(item, np.int16)[0]) if isinstance(item, bytes) else type(item).__name__


def run(vad: LocalVad, pattern: str) -> list[object]:
    out: list[object] = []
    for f in scripted(pattern):
        out += [number(item) for item in vad.process(f)]
    return out + [number(item) for item in vad.flush()]


def test_start_needs_enough_voiced_frames_in_the_window() -> None:
    vad = LocalVad(start_frames=3, start_window=4, hangover_ms=100, preroll_ms=0, classifier=label)
    assert run(vad, "x.x....x..x.") == []  # never 3 voiced in any 4


def test_preroll_holds_the_trigger_and_the_audio_before_it() -> None:
    vad = LocalVad(start_frames=3, start_window=4, hangover_ms=100, preroll_ms=100, classifier=label)
    out = run(vad, "..........x.xx")
    # Frames 10-13 are the trigger window, 5 frames (100 ms) before it come first.
    assert out[0] == "ActivityStart"
    assert out[1:] == [*range(5, 14), "ActivityEnd"]


def test_while_speaking_every_frame_passes_and_the_end_comes_after_the_hangover() -> None:
    vad = LocalVad(start_frames=2, start_window=2, hangover_ms=60, preroll_ms=0, classifier=label)
    out = run(vad, "xxx..x...x")
    # Gaps shorter than the hangover (2 frames) do not end the activity; 3 quiet frames do.
    assert out == ["ActivityStart", 0, 1, 2, 3, 4, 5, 6, 7, 8, "ActivityEnd"]


def test_a_second_activity_starts_fresh_without_repeating_frames() -> None:
    vad = LocalVad(start_frames=2, start_window=2, hangover_ms=40, preroll_ms=40, classifier=label)
    out = run(vad, "xx..." + "..xx")
    assert out == ["ActivityStart", 0, 1, 2, 3, "ActivityEnd", "ActivityStart", 5, 6, 7, 8, "ActivityEnd"]


def test_flush_without_activity_emits_nothing() -> None:
    assert LocalVad(classifier=label).flush() == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"aggressiveness": 4}, "aggressiveness"),
        ({"start_frames": 7, "start_window": 6}, "start_frames"),
        ({"hangover_ms": 10}, "hangover"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(AudioError, match=message):
        LocalVad(**kwargs)


def test_frames_of_the_wrong_size_are_refused() -> None:
    with pytest.raises(AudioError, match="640 bytes"):
        LocalVad().process(b"\x00" * 600)


def test_real_speech_starts_after_silence_and_the_first_syllable_is_kept(
    speech_16k: npt.NDArray[np.int16],
) -> None:
    lead = np.zeros(16_000, np.int16)  # 1 s of silence, then speech, then 1 s of silence
    audio = np.concatenate([lead, speech_16k, lead])
    audio = audio[: audio.size // FRAME_SAMPLES * FRAME_SAMPLES]
    vad = LocalVad()
    outputs = []
    for i in range(audio.size // FRAME_SAMPLES):
        outputs += vad.process(audio[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES].tobytes())
    starts = [i for i, item in enumerate(outputs) if isinstance(item, ActivityStart)]
    ends = [i for i, item in enumerate(outputs) if isinstance(item, ActivityEnd)]
    assert starts and ends and starts[0] < ends[-1]
    # The first frame sent is from before the speech began: nothing of the onset is lost.
    first_sent = outputs[starts[0] + 1]
    assert isinstance(first_sent, bytes) and len(first_sent) == FRAME_BYTES
    onset = int(np.argmax(np.abs(speech_16k) > 500)) + lead.size
    first_index = audio.tobytes().index(first_sent) // 2
    assert first_index <= onset - 100 * 16  # at least 100 ms before the first loud sample
