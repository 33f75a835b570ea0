"""Speech out: real espeak-ng speech at the asked rate (voicecli.speech.tts), and the emulator's
transcript-tagged chunks (voicecli.emulator.speaking)."""

from __future__ import annotations

import threading

import espeakng_loader
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicecli.emulator.speaking import speech_chunks
from voicecli.speech import tts as voice
from voicecli.speech.tts import ESPEAK_RATE, VoiceUnavailable, synthesize

SENTENCE = "Hello, I am Laura. How can I help you today?"


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def test_speech_lasts_a_plausible_time_for_its_words() -> None:
    words = len(SENTENCE.split())
    seconds = len(synthesize(SENTENCE)) / 2 / 24_000
    nominal = words * 60 / 175
    assert 0.6 * nominal < seconds < 1.8 * nominal


def test_speech_is_loud_and_mostly_in_the_voice_band() -> None:
    audio = samples(synthesize(SENTENCE, rate=16_000))
    rms = np.sqrt(np.mean(audio**2))
    assert rms > 1_000  # about -30 dBFS; silence is 0

    power = np.abs(np.fft.rfft(audio)) ** 2
    frequencies = np.fft.rfftfreq(len(audio), d=1 / 16_000)
    band = power[(frequencies >= 100) & (frequencies <= 4_000)].sum()
    assert band / power.sum() > 0.8


def test_different_texts_give_different_audio_and_the_same_text_the_same() -> None:
    first = synthesize("Your appointment is on Tuesday.")
    second = synthesize("Your profile has been created.")
    assert first != second
    assert synthesize("Your appointment is on Tuesday.") is first  # cached


def envelope(audio: np.ndarray, window: int = 480) -> np.ndarray:
    frames = len(audio) // window
    return np.sqrt(np.mean(audio[: frames * window].reshape(frames, window) ** 2, axis=1))


def test_a_fresh_rendering_of_the_same_text_is_the_same_speech() -> None:
    first = samples(synthesize("Your appointment is on Tuesday."))
    other = samples(synthesize("Your profile has been created."))
    voice.clear_cache()
    again = samples(synthesize("Your appointment is on Tuesday."))
    assert len(again) == pytest.approx(len(first), rel=0.02)
    # Loudness over time follows the same words; a different sentence does not.
    n = min(len(envelope(first)), len(envelope(again)), len(envelope(other)))
    assert np.corrcoef(envelope(first)[:n], envelope(again)[:n])[0, 1] > 0.95
    assert np.corrcoef(envelope(first)[:n], envelope(other)[:n])[0, 1] < 0.5


def test_rate_conversion_scales_the_length() -> None:
    native = len(synthesize(SENTENCE, rate=ESPEAK_RATE)) // 2
    for rate in (16_000, 24_000, 48_000):
        converted = len(synthesize(SENTENCE, rate=rate)) // 2
        # Separate renderings may differ by a few samples (see the voice module's docstring).
        assert converted == pytest.approx(native * rate / ESPEAK_RATE, rel=0.002)


def test_output_is_int16_pcm_with_an_even_byte_count() -> None:
    pcm = synthesize("Testing.", rate=24_000)
    assert len(pcm) % 2 == 0
    assert np.abs(samples(pcm)).max() <= 32_767


def test_faster_speech_is_shorter() -> None:
    slow = synthesize(SENTENCE, words_per_minute=130)
    fast = synthesize(SENTENCE, words_per_minute=260)
    assert len(fast) < 0.75 * len(slow)


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_blank_text_is_silent(text: str) -> None:
    assert synthesize(text) == b""


def test_whitespace_differences_do_not_change_the_speech() -> None:
    assert synthesize("  good   morning \n") == synthesize("good morning")


def test_an_unknown_voice_is_a_clear_error_and_leaves_the_engine_usable() -> None:
    with pytest.raises(VoiceUnavailable, match="no voice named 'xx-nowhere'"):
        synthesize("hello", voice="xx-nowhere")
    assert len(synthesize("hello again")) > 0


def test_another_language_voice_speaks() -> None:
    assert samples(synthesize("Bonjour tout le monde.", voice="fr")).std() > 500


def test_a_missing_library_raises_voice_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voice, "_engine", None)
    monkeypatch.setattr(espeakng_loader, "get_library_path", lambda: "/nonexistent/libespeak-ng.so")
    voice.clear_cache()
    with pytest.raises(VoiceUnavailable, match="cannot load espeak-ng"):
        synthesize("unreachable")


def test_a_non_positive_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        synthesize("hello", rate=0)


def test_concurrent_synthesis_keeps_each_text_to_itself() -> None:
    texts = [" ".join(["word"] * n) + "." for n in (1, 3, 6, 10, 15, 21)]
    voice.clear_cache()
    sequential = [len(synthesize(text)) for text in texts]
    voice.clear_cache()
    results: dict[int, bytes] = {}

    def work(index: int) -> None:
        results[index] = synthesize(texts[index])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Interleaved callbacks would mix samples between texts and break these lengths.
    for index, expected in enumerate(sequential):
        assert len(results[index]) == pytest.approx(expected, rel=0.01)


def test_chunks_reassemble_real_speech_and_its_transcript() -> None:
    pcm = synthesize(SENTENCE)
    chunks = speech_chunks(pcm, SENTENCE, rate=24_000, chunk_ms=60)
    assert b"".join(audio for audio, _ in chunks) == pcm
    assert "".join(text for _, text in chunks) == SENTENCE
    assert all(len(audio) == 24_000 * 60 // 1000 * 2 for audio, _ in chunks[:-1])
    assert len(chunks) == -(-len(pcm) // 2880)
    # The transcript runs alongside the audio: words are not all bunched at either end.
    spoken_by = [n for n, (_, text) in enumerate(chunks) if text]
    assert spoken_by[0] < len(chunks) // 2 < spoken_by[-1]


def test_each_word_arrives_once_in_spoken_order() -> None:
    text = "one two three four five six seven eight"
    chunks = speech_chunks(b"\x00\x00" * 24_000, text, chunk_ms=100)
    fragments = [fragment for _, fragment in chunks if fragment]
    assert [word for fragment in fragments for word in fragment.split()] == text.split()


def test_words_are_spread_in_proportion_to_time() -> None:
    # Ten equal words over ten chunks: one word per chunk.
    text = " ".join(["word"] * 10)
    chunks = speech_chunks(b"\x00\x00" * 1_000, text, rate=1_000, chunk_ms=100)
    assert [fragment.strip() for _, fragment in chunks] == ["word"] * 10


def test_no_audio_still_delivers_the_text() -> None:
    assert speech_chunks(b"", "hello") == [(b"", "hello")]
    assert speech_chunks(b"", "") == []


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("ab ,.\n"), max_size=60),
    samples_count=st.integers(min_value=1, max_value=5_000),
    chunk_ms=st.integers(min_value=1, max_value=200),
)
def test_chunking_round_trips_any_text_and_audio(text: str, samples_count: int, chunk_ms: int) -> None:
    pcm = bytes(range(256)) * (samples_count * 2 // 256) + b"\x01" * (samples_count * 2 % 256)
    chunks = speech_chunks(pcm, text, rate=8_000, chunk_ms=chunk_ms)
    assert b"".join(audio for audio, _ in chunks) == pcm
    assert "".join(fragment for _, fragment in chunks) == text
