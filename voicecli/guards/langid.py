"""Which language is this transcript in? A small identifier for the agent's own words.

Built on py3langid (BSD-3, numpy only, a 4.6 MB naive Bayes model over byte n-grams), restricted to
the languages voicecli can name in a persona (voicecli.persona.language), which keeps obscure
near-neighbours (Latin, Esperanto, Volapük) from winning on a few words. The model is loaded on first
use, about a second of CPU: call ``warm_up()`` in a thread at start-up to take that off the first turn.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import TYPE_CHECKING

from voicecli.persona.language import LANGUAGE_NAMES, primary_language

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier  # type: ignore[import-untyped]

# Below this many words (CJK: characters / 2) a verdict is a guess: matches() answers None.
MIN_WORDS = 3
# Below this confidence a different language is not evidence of drift: matches() answers None.
MIN_CONFIDENCE = 0.8

# Tags whose primary language the model knows under another code, and languages close enough that a
# transcript in one is not a switch away from the other (mutually intelligible, or one written standard).
_ALIASES = {"cmn": "zh", "yue": "zh", "fil": "tl", "nb": "no"}
_SAME = [frozenset({"no", "nn", "da"}), frozenset({"hr", "sr", "bs"}), frozenset({"ms", "id"})]

# Scripts written without spaces between words, counted as words of about that many characters
# (Chinese words average under two characters; kana runs carry particles and endings).
_HAN = re.compile(r"[\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_AND_SOUTHEAST_ASIAN = re.compile(r"[\u3040-\u30ff\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f]")

_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None
_labels: frozenset[str] = frozenset()


def _model() -> LanguageIdentifier:
    global _identifier, _labels
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            known = {_ALIASES.get(code, code) for code in LANGUAGE_NAMES}
            _labels = frozenset(known & set(identifier.labels))
            identifier.set_languages(sorted(_labels))
            _identifier = identifier
        return _identifier


def loaded() -> bool:
    """Whether the model is in memory (identifying then costs well under a millisecond)."""
    return _identifier is not None


def warm_up() -> None:
    """Load the model now (blocking, ~1 s): run it in a worker thread before the first turn ends."""
    _model()


def word_count(text: str) -> float:
    """Words in ``text``; in scripts without spaces, Han characters / 2 and kana (Thai, Lao...) / 3."""
    han = len(_HAN.findall(text))
    kana = len(_KANA_AND_SOUTHEAST_ASIAN.findall(text))
    rest = _KANA_AND_SOUTHEAST_ASIAN.sub(" ", _HAN.sub(" ", text))
    spaced = sum(any(ch.isalpha() for ch in token) for token in rest.split())
    return spaced + han / 2 + kana / 3


def _clean(text: str) -> str:
    # Transcripts may carry markup-ish noise ("<noise>", "[laughs]"): drop bracketed asides.
    text = re.sub(r"[\[<(][^\]>)]{0,40}[\]>)]", " ", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def identify(text: str) -> tuple[str, float]:
    """``(ISO 639-1 code, confidence 0..1)`` for ``text``; ``("und", 0.0)`` when it has no letters."""
    text = _clean(text)
    if not any(ch.isalpha() for ch in text):
        return "und", 0.0
    code, confidence = _model().classify(text)
    return str(code), float(confidence)


def normalise(bcp47: str) -> str | None:
    """``"es-ES"`` -> ``"es"``, ``"cmn-CN"`` -> ``"zh"``; None for a tag that is not well formed."""
    language = primary_language(bcp47)
    return _ALIASES.get(language, language) if language else None


def supported(bcp47: str) -> bool:
    """Whether the identifier can recognise the tag's language at all."""
    _model()
    language = normalise(bcp47)
    return language is not None and (language in _labels or any(language in group for group in _SAME))


def same_language(a: str, b: str) -> bool:
    """Whether two ISO codes count as one language for drift (``no``/``nn``, ``hr``/``sr``...)."""
    a, b = _ALIASES.get(a, a), _ALIASES.get(b, b)
    return a == b or any(a in group and b in group for group in _SAME)


def matches(text: str, bcp47: str) -> bool | None:
    """Is ``text`` in the language of ``bcp47``? None when too short or too uncertain to tell.

    False only when another language wins with confidence >= MIN_CONFIDENCE on >= MIN_WORDS words.
    """
    expected = normalise(bcp47)
    if expected is None or word_count(text) < MIN_WORDS or not supported(bcp47):
        return None
    detected, confidence = identify(text)
    if detected == "und":
        return None
    if same_language(detected, expected):
        return True
    return False if confidence >= MIN_CONFIDENCE else None
