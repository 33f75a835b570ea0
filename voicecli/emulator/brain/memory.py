"""Facts the user states about themselves, kept for the session and asked back later.

Two shapes are understood: "my <thing> is <value>" ("my favourite colour is green") and
"I <live|work|study|was born|come|am> <in|at|on|from|...> <value>" ("I live in Ohio"). A later
statement of the same fact replaces the earlier one. ``to_list``/``from_list`` make the memory
JSON-ready, so it survives session resumption.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from voicecli.emulator.brain.words import STOPWORDS, content_stems, reflect, sentences, stem, words

_END = r"(?=\s*(?:[,.;!?]|$|\band\s+(?:i|i'm|my)\b|\bbut\b|\bso\b))"
_POSSESSIVE = re.compile(
    r"\bmy\s+((?:[a-z'-]+\s+){0,3}?[a-z-]+?)(?:\s+(is|are|was|were)|'s)\s+(.+?)" + _END, re.IGNORECASE)
_FIRST_PERSON = re.compile(
    r"\b(?:i\s+(live|work|study|grew up|was born|come|am)|(i'm))\s+(in|at|on|from|for|as|near)\s+(.+?)" + _END,
    re.IGNORECASE)
_ATTR_QUESTION = re.compile(r"\bmy\s+((?:[a-z'-]+\s*){1,4})", re.IGNORECASE)
_VERB_QUESTION = re.compile(
    r"\b(?:where|when|what)\s+(?:do|did|was|am)\s+i\s+(live|work|study|grow up|born|come from|from)\b",
    re.IGNORECASE)
_QUESTION_START = re.compile(
    r"^\s*(?:what|what's|whats|where|when|who|which|how|do|does|did|is|are|can|could|tell me|remind me)\b",
    re.IGNORECASE)
_NOT_THE_THING = frozenset({"called", "named", "again", "now"})  # "what's my dog called?" asks about "dog"
_SECOND_PERSON = {"am": "are", "was born": "were born", "grew up": "grew up", "i'm": "are"}


@dataclass(frozen=True)
class Fact:
    subject: str  # "favourite colour" for "my ..." facts, "" for "I ..." facts
    verb: str  # "is", "are", or "live in", "was born on", "am from"
    value: str

    @property
    def key(self) -> str:
        stems = " ".join(sorted(content_stems(self.subject))) if self.subject else ""
        return f"{stems}|{self.verb.split()[0] if not self.subject else ''}"

    def told(self) -> str:
        """The fact said back to the user: "your favourite colour is green", "you live in Ohio"."""
        value = reflect(self.value)
        if self.subject:
            return f"your {self.subject} {self.verb} {value}"
        verb, _, preposition = self.verb.rpartition(" ")
        return f"you {_SECOND_PERSON.get(verb, verb)} {preposition} {value}"


@dataclass(frozen=True)
class Recall:
    """The answer to a question about the user, or None when that was never said."""

    asked: str
    answer: str | None


def is_question(text: str) -> bool:
    return text.rstrip().endswith("?") or bool(_QUESTION_START.match(text))


@dataclass
class Memory:
    facts: list[Fact] = field(default_factory=list)

    def remember(self, fact: Fact) -> None:
        self.facts = [known for known in self.facts if known.key != fact.key] + [fact]

    def learn(self, text: str) -> list[Fact]:
        """Keep every fact stated in the text's statements (questions teach nothing)."""
        learned: list[Fact] = []
        for sentence in sentences(text):
            if is_question(sentence):
                continue
            for match in _POSSESSIVE.finditer(sentence):
                subject = " ".join(match.group(1).split())
                if subject.lower().split()[-1] in STOPWORDS:
                    continue
                learned.append(Fact(subject, (match.group(2) or "is").lower(), match.group(3).strip()))
            for match in _FIRST_PERSON.finditer(sentence):
                verb = (match.group(1) or match.group(2)).lower()
                learned.append(Fact("", f"{' '.join(verb.split())} {match.group(3).lower()}",
                                    match.group(4).strip()))
        for fact in learned:
            self.remember(fact)
        return learned

    def recall(self, text: str) -> Recall | None:
        """Answer "what is my favourite colour?" or "where do I live?"; None if it asks no such thing."""
        if not is_question(text):
            return None
        if re.search(r"\babout me\b", text, re.IGNORECASE):
            told = [fact.told() for fact in self.facts]
            return Recall("about you", "; ".join(told) if told else None)
        verb = _VERB_QUESTION.search(text)
        if verb:
            wanted = stem(verb.group(1).split()[-1])
            found = [f for f in self.facts if not f.subject and wanted in {stem(w) for w in words(f.verb)}]
            return Recall(f"where you {verb.group(1)}", found[-1].told() if found else None)
        attr = _ATTR_QUESTION.search(text)
        if attr is None:
            return None
        asked_words = words(attr.group(1))
        cut = next((i for i, w in enumerate(asked_words) if w in STOPWORDS or w in _NOT_THE_THING),
                   len(asked_words))
        asked_words = asked_words[:cut]
        if not asked_words:
            return None
        head = stem(asked_words[-1])
        found = [f for f in self.facts if f.subject and head in content_stems(f.subject)]
        return Recall(f"your {' '.join(asked_words)}", found[-1].told() if found else None)

    def value_of(self, subject_word: str) -> str | None:
        """The latest value stated for a subject containing this word ("name")."""
        wanted = stem(subject_word)
        found = [f for f in self.facts if f.subject and wanted in content_stems(f.subject)]
        return found[-1].value if found else None

    def to_list(self) -> list[list[str]]:
        return [[fact.subject, fact.verb, fact.value] for fact in self.facts]

    @classmethod
    def from_list(cls, data: object) -> Memory:
        memory = cls()
        for row in data if isinstance(data, list) else []:
            if isinstance(row, list) and len(row) == 3 and all(isinstance(part, str) for part in row):
                memory.remember(Fact(*row))
        return memory
