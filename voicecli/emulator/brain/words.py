"""Words: tokens, stems, stopwords, answer clean-up and first-to-second-person reflection.

Every reader in the brain works on the same tokens, so a hyphen, an apostrophe or a number is
split the same way everywhere. Punctuation marks are kept as tokens: they end clauses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Numbers keep their inner separators ("1990-03-03", "9:30", "21.5", "1,000") and ordinal suffix.
_TOKEN = re.compile(r"\d+(?:[-.,:/]\d+)*(?:st|nd|rd|th)?|[A-Za-z]+(?:'[A-Za-z]+)?|[.,!?;:]")
PUNCTUATION = frozenset(".,!?;:")

_STOPWORD_TEXT = """a an the and or but if then else to of in on at for with by from up down out off as into over
    under about than so too very just also only own same such no not nor yes ok okay sure please thanks
    is are was were be been being am do does did done have has had having can could would should will
    shall may might must let let's lets i me my mine myself you your yours yourself we us our it its
    this that these those there here what which who whom whose when where why how all any each every
    some one other new now once again after before while until i'm i've i'll i'd you're it's that's
    there's what's don't didn't doesn't won't can't isn't get got go going want like need make
    call calls tool function user client return returns use used given their they them he she his her
    well really thing things"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Spelling variants that should match each other.
_SPELLING = {"colour": "color", "favourite": "favorite", "favour": "favor", "centre": "center",
             "metre": "meter", "behaviour": "behavior", "organise": "organize", "cancelled": "canceled"}

_REFLECT = {
    "i": "you", "me": "you", "my": "your", "mine": "yours", "myself": "yourself", "am": "are",
    "i'm": "you're", "i've": "you've", "i'll": "you'll", "i'd": "you'd", "we": "you", "us": "you",
    "our": "your", "ours": "yours", "we're": "you're", "we've": "you've",
    "your": "my", "yours": "mine", "yourself": "myself", "you're": "I'm", "you've": "I've",
    "you'll": "I'll", "you'd": "I'd",
}
_CLAUSE_STARTERS = frozenset({"and", "but", "that", "if", "when", "so", "because", "or", ","})
# After "you", these make it the subject ("you are right" -> "I am right", "thank you" -> "thank me").
_SUBJECT_VERBS = frozenset({"are", "were", "have", "had", "can", "could", "will", "would", "should", "do", "did",
                            "don't", "didn't", "know", "think", "said", "say", "need", "want", "like", "must",
                            "may", "might"})

# Openers and closers that are not part of an answer's content.
_LEAD_IN = re.compile(
    r"^(?:(?:yes|yeah|yep|sure|ok|okay|well|so|um|uh|oh|right|alright|of course|please)\b[\s,.!]*)*"
    r"(?:(?:it's|it is|that's|that is|they're|they are|this is|i'd say|i think|i guess)\s+)?",
    re.IGNORECASE,
)
_TAIL = re.compile(r"(?:[\s,]+(?:please|thanks|thank you|thx))+[\s.!?]*$|[\s.!?,;:]+$", re.IGNORECASE)


def tokens(text: str) -> list[str]:
    """Words, numbers and punctuation marks, in order, case kept."""
    return _TOKEN.findall(text)


def lower_tokens(text: str) -> list[str]:
    return [token.lower() for token in tokens(text)]


def words(text: str) -> list[str]:
    """Lower-case word and number tokens, punctuation dropped."""
    return [token for token in lower_tokens(text) if token not in PUNCTUATION]


def stem(word: str) -> str:
    """A light suffix stripper: enough for "books", "booked" and "booking" to meet "book"."""
    word = _SPELLING.get(word.lower(), word.lower())
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # "stopping" -> "stop"
            break
    else:
        if word.endswith(("sses", "xes", "zes", "ches", "shes")):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            word = word[:-1]
    # A final "e" comes and goes with suffixes ("live", "lives", "living"): drop it everywhere.
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning (stopwords and bare numbers left out)."""
    return {stem(word) for word in identifier_words(text) if word not in STOPWORDS and not word.isdigit()}


def identifier_words(text: str) -> list[str]:
    """Words of prose or of identifiers: ``create_client_profile`` and ``getWeather`` split too."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text).replace("_", " ")
    return words(spaced)


def humanise(identifier: str) -> str:
    """``create_client_profile`` -> ``create client profile``."""
    return " ".join(identifier_words(identifier))


def join_words(items: Iterable[str], conjunction: str = "and") -> str:
    """``["a", "b", "c"]`` -> ``a, b and c``."""
    parts = [item for item in items if item]
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def clean_answer(text: str) -> str:
    """An answer without its "yes, it's ..." opener, its "please" and its final punctuation."""
    text = _LEAD_IN.sub("", text.strip(), count=1)
    return _TAIL.sub("", text).strip()


def reflect(text: str) -> str:
    """Swap first and second person, so the user's words can be said back to them."""
    out: list[str] = []
    previous = ""
    toks = tokens(text)
    for i, token in enumerate(toks):
        low = token.lower()
        following = toks[i + 1].lower() if i + 1 < len(toks) else ""
        if low == "you":
            subject = not out or previous in _CLAUSE_STARTERS or following in _SUBJECT_VERBS
            word = "I" if subject else "me"
        elif low == "are" and previous == "you":
            word = "am"
        elif low == "was" and previous == "i":
            word = "were"
        else:
            word = _REFLECT.get(low, token)
        out.append(word)
        previous = low
    sentence = ""
    for word in out:
        sentence += word if word in PUNCTUATION or not sentence else " " + word
    return sentence.rstrip(".!?;:, ")


def sentences(text: str) -> list[str]:
    """Split at sentence ends; the pieces keep their inner punctuation."""
    return [piece.strip() for piece in re.split(r"(?<=[.!?])\s+|\n+", text) if piece.strip()]
