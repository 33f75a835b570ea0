"""Language drift: the agent answered a whole turn in a language other than the persona's.

Fed the agent's output transcript as it arrives; judged once, when the turn ends. A turn counts as
drifted only when it is long enough, confidently in another language as a whole, and no sentence of
it is recognisably in the expected language (a quoted foreign phrase, a name, or a mixed turn is not
drift). ``steer_text`` is the text turn that brings the agent back, repeating the persona's directive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voicecli.guards import langid
from voicecli.persona.language import language_name

# Whole turns shorter than this are not judged (a drifted "¡Hola!" is not worth a steer).
MIN_WORDS = 6
MIN_CONFIDENCE = 0.9

_SENTENCE_END = re.compile(r"(?<=[.!?。！？।])\s*")


@dataclass(frozen=True)
class Drift:
    expected: str  # the persona's BCP-47 tag, as written
    detected: str  # ISO 639-1 code of the language the turn was in
    confidence: float
    text: str


def language_directive(bcp47: str) -> str:
    """The directive the system instruction carries (voicecli.persona.instructions), word for word."""
    name = language_name(bcp47).upper()
    return f"RESPOND IN {name}. YOU MUST RESPOND UNMISTAKABLY IN {name}."


def steer_text(persona_language: str) -> str:
    """The text turn sent after a drifted turn: the directive again, and carry on where things were."""
    name = language_name(persona_language)
    return (
        f"[Your last reply was not in {name}. {language_directive(persona_language)} "
        f"Continue the conversation from where it was, in {name}, without mentioning this note.]"
    )


class DriftDetector:
    """Counts the agent's turns spoken wholly in another language than ``expected_bcp47``."""

    def __init__(
        self, expected_bcp47: str, *, min_words: float = MIN_WORDS, min_confidence: float = MIN_CONFIDENCE
    ) -> None:
        self.expected = expected_bcp47
        self.min_words = min_words
        self.min_confidence = min_confidence
        self.drifts = 0  # drifted turns so far
        self.turns = 0  # turns long enough to judge
        self._parts: list[str] = []
        self._language = langid.normalise(expected_bcp47)

    @property
    def text(self) -> str:
        """The current turn's transcript so far."""
        return "".join(self._parts)

    def feed(self, chunk: str) -> None:
        """Add a piece of the agent's output transcript (joined as given: chunks carry their own spaces)."""
        self._parts.append(chunk)

    def discard(self) -> None:
        """Forget the current turn without judging it."""
        self._parts.clear()

    def end_turn(self) -> Drift | None:
        """Judge the turn that just ended; a Drift when it was wholly in another language."""
        return self.judge(self.take())

    def take(self) -> str:
        """The turn that just ended, forgotten here (to ``judge`` elsewhere, e.g. in a worker thread
        while the next turn's transcript arrives)."""
        text = " ".join(self.text.split())
        self._parts.clear()
        return text

    def judge(self, text: str) -> Drift | None:
        """Judge one whole turn's transcript (loads the identifier on first use: ~1 s)."""
        if self._language is None or not langid.supported(self.expected):
            return None
        if langid.word_count(text) < self.min_words:
            return None
        self.turns += 1
        detected, confidence = langid.identify(text)
        if detected == "und" or confidence < self.min_confidence:
            return None
        if langid.same_language(detected, self._language):
            return None
        if any(langid.matches(sentence, self.expected) for sentence in _SENTENCE_END.split(text) if sentence):
            return None  # part of the turn was in the expected language: mixed, not drifted
        self.drifts += 1
        return Drift(self.expected, detected, confidence, text)
