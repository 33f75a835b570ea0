"""Word error rate: (substitutions + deletions + insertions) / words in the reference.

Both texts pass through ``scoring_words`` first, so "21" and "twenty-one", "$100" and "100 dollars"
count as the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voicecli.speech.normalize import scoring_words


@dataclass(frozen=True)
class WordErrors:
    """Edit distance between two word sequences and the reference length it is measured against."""

    errors: int
    reference_words: int

    @property
    def rate(self) -> float:
        if self.reference_words == 0:
            return 0.0 if self.errors == 0 else 1.0
        return self.errors / self.reference_words

    def __add__(self, other: WordErrors) -> WordErrors:
        return WordErrors(self.errors + other.errors, self.reference_words + other.reference_words)


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance over words (each substitution, deletion or insertion costs one)."""
    row = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        diagonal, row[0] = row[0], i
        for j, hyp_word in enumerate(hypothesis, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ref_word != hyp_word))
    return row[-1]


def word_errors(reference: str, hypothesis: str) -> WordErrors:
    """Errors of ``hypothesis`` against ``reference``; sum them over a corpus with ``+``."""
    ref, hyp = scoring_words(reference), scoring_words(hypothesis)
    return WordErrors(edit_distance(ref, hyp), len(ref))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER of one pair; an empty reference scores 0 for an empty hypothesis and 1 otherwise."""
    return word_errors(reference, hypothesis).rate
