"""Argument values from the user's words, guided by one parameter's schema.

``extract(param, text)`` returns a ``Found`` or None. ``Found.typed`` says a reader recognised a
value of the parameter's own kind (a date for a date, a state for a state, two or more list items);
free text taken as the answer to a question is not typed. The brain counts typed values as
evidence when it chooses a tool, and only trusts typed values from earlier turns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from voicecli.emulator.brain.dates import find_dates
from voicecli.emulator.brain.declarations import Param
from voicecli.emulator.brain.numbers import UNITS, find_numbers
from voicecli.emulator.brain.states import find_state
from voicecli.emulator.brain.words import (
    PUNCTUATION,
    STOPWORDS,
    clean_answer,
    content_stems,
    identifier_words,
    lower_tokens,
    stem,
    tokens,
)

YES = frozenset({"yes", "yeah", "yep", "yup", "sure", "correct", "right", "true", "ok", "okay", "please",
                 "absolutely", "definitely", "works", "fine", "perfect", "great"})
NO = frozenset({"no", "nope", "nah", "false", "not", "don't", "dont", "never", "without", "none", "neither"})
_PERSON = frozenset({"full", "first", "last", "given", "family", "customer", "client", "person", "contact",
                     "guest", "patient", "caller", "your", "surname", "user's", "legal"})
_NAME_STOP = STOPWORDS | {"born", "live", "living", "lives", "from", "years", "old", "here", "today"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SPOKEN_EMAIL = re.compile(r"\b([a-z0-9]+(?:\s+dot\s+[a-z0-9]+)*)\s+at\s+([a-z0-9-]+(?:\s+dot\s+[a-z0-9-]+)+)\b")
_LIST_SPLIT = re.compile(r"(,\s*and\s+|,\s*or\s+|,\s*|\s+and\s+|\s+or\s+|;\s*|\s+then\s+)", re.IGNORECASE)
_ITEM_LEAD = re.compile(
    r"^(?:(?:and|or|also|then|maybe|to|i'll|i will|i want to|i'd like to|i need to|i'm going to|"
    r"i am going to|we'll|we will|let's)\s+)+", re.IGNORECASE)
_ITEM_TAIL = re.compile(r"\s+(?:too|as well|please)$", re.IGNORECASE)
_LIST_CUES = ("with", "are", "is", "be", "include", "including", "add", "like", "want", "need", "get")
_LEADING_PREPOSITIONS = frozenset({"in", "at", "for", "to", "on", "about", "of", "up", "is", "are", "be", ":"})


@dataclass(frozen=True)
class Found:
    value: Any
    typed: bool


def stems_meet(a: str, b: str) -> bool:
    """Same stem, or one a long prefix of the other ("deliver" and "delivery")."""
    return a == b or (min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a)))


def kind_of(param: Param) -> str:
    """What reader a parameter needs: date, us_state, email, phone, person_name, enum, a JSON type."""
    if param.type != "string":
        return "enum" if param.enum and param.type in {"integer", "number"} else param.type
    names = set(identifier_words(param.name))
    desc = param.description.lower()
    if "state" in names and (not desc or re.search(r"\bu\.?s\.?\b|two-letter|2-letter|state code|lives? in",
                                                    desc)):
        return "us_state"
    if param.enum:
        return "enum"
    if param.format == "date" or "yyyy-mm-dd" in desc or names & {"date", "birthday", "dob", "birth", "day"}:
        return "date"
    if "email" in names or "e-mail" in desc or "email address" in desc:
        return "email"
    if names & {"phone", "telephone", "mobile"}:
        return "phone"
    if "name" in names and (names & _PERSON or re.search(r"\b(full|first|last) name\b|\bperson\b", desc)
                            or (param.name == "name" and not desc)):
        return "person_name"
    return "string"


def extract(param: Param, text: str, *, asked: bool = False, cues: frozenset[str] = frozenset()) -> Found | None:
    """The value for ``param`` in ``text``; ``asked``: the text answers a question about it.

    ``cues`` are stems that introduce a free-text value ("weather" in "the weather in Paris").
    """
    kind = kind_of(param)
    reader = _READERS.get(kind)
    if reader is not None:
        return reader(param, text, asked)
    if kind in {"number", "integer"}:
        return _number(param, text, asked)
    if kind == "boolean":
        return _boolean(param, text, asked)
    if kind == "array":
        return _array(param, text, asked, cues)
    if kind == "object":
        return _object(param, text, asked)
    return _free(text, asked, cues)


# ---- readers by kind ---------------------------------------------------------------------------


def _enum(param: Param, text: str, asked: bool) -> Found | None:
    spoken = " " + " ".join(w for w in lower_tokens(text) if w not in PUNCTUATION) + " "
    numbers = [n.value for n in find_numbers(lower_tokens(text)) if not n.ordinal]
    best: tuple[int, int, Any] | None = None  # (-length, position, value)
    for value in param.enum:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if value in numbers:
                return Found(value, True)
            continue
        said = " " + " ".join(identifier_words(str(value))) + " "
        at = spoken.find(said)
        if said.strip() and at >= 0 and (best is None or (-len(said), at) < best[:2]):
            best = (-len(said), at, value)
    if best is not None:
        return Found(best[2], True)
    if asked:
        picked = pick_option(text, list(param.enum))
        if picked is not None:
            return Found(picked, True)
    return None


def _date(param: Param, text: str, asked: bool) -> Found | None:
    dates = find_dates(text)
    return Found(dates[0].iso, True) if dates else None


def _us_state(param: Param, text: str, asked: bool) -> Found | None:
    found = find_state(text)
    if found is None:
        return None
    name, code = found
    desc = param.description.lower()
    if param.enum:
        value = code if code in param.enum else name if name in param.enum else None
        return Found(value, True) if value is not None else None
    wants_code = param.max_length == 2 or bool(re.search(r"\bcode\b|abbreviat|two-letter|2-letter", desc))
    return Found(code if wants_code else name, True)


def _email(param: Param, text: str, asked: bool) -> Found | None:
    written = _EMAIL.search(text)
    if written:
        return Found(written.group(0).rstrip("."), True)
    spoken = _SPOKEN_EMAIL.search(text.lower())
    if spoken:
        local, domain = (part.replace(" dot ", ".").replace(" ", "") for part in spoken.groups())
        return Found(f"{local}@{domain}", True)
    return None


def _phone(param: Param, text: str, asked: bool) -> Found | None:
    digits = ""
    for token in lower_tokens(text):
        if token.isdigit():
            digits += token
        elif token in UNITS and UNITS[token] < 10:
            digits += str(UNITS[token])
        elif token in {"oh", "o"}:
            digits += "0"
        elif digits and token not in {",", "-"}:
            if len(digits) >= 7:
                break
            digits = ""
    return Found(digits, True) if len(digits) >= 7 else None


def _person_name(param: Param, text: str, asked: bool) -> Found | None:
    name = read_name(text)
    typed = name is not None
    if name is None and asked:
        name = _name_words(tokens(clean_answer(text)), 0, need_capital=False)
    if not name:
        return None
    parts = name.split()
    names = set(identifier_words(param.name))
    if names & {"first", "given"}:
        name = parts[0]
    elif names & {"last", "family", "surname"}:
        name = parts[-1]
    return Found(name, typed)


_READERS = {"enum": _enum, "date": _date, "us_state": _us_state, "email": _email, "phone": _phone,
            "person_name": _person_name}


def _number(param: Param, text: str, asked: bool) -> Found | None:
    toks = lower_tokens(text)
    in_dates = {i for span in find_dates(text) for i in range(span.start, span.end)}
    numbers = [n for n in find_numbers(toks) if not n.ordinal and n.start not in in_dates]
    if param.type == "integer":
        numbers = [n for n in numbers if isinstance(n.value, int)]
    if not numbers:
        return None
    keys = content_stems(f"{param.name} {param.description}")
    near = [i for i, token in enumerate(toks) if any(stems_meet(stem(token), key) for key in keys)]
    if near:
        numbers.sort(key=lambda n: min(min(abs(n.start - i), abs(n.end - 1 - i)) for i in near))
    return Found(numbers[0].value, True)


def _boolean(param: Param, text: str, asked: bool) -> Found | None:
    toks = lower_tokens(text)
    keys = content_stems(param.name) - {"is", "should", "want", "ha"}
    for i, token in enumerate(toks):
        if any(stems_meet(stem(token), key) for key in keys):
            negated = any(t in NO for t in toks[max(0, i - 3):i])
            return Found(not negated, True)
    if asked:
        said = set(toks)
        if said & NO:
            return Found(False, True)
        if said & YES:
            return Found(True, True)
    return None


def _array(param: Param, text: str, asked: bool, cues: frozenset[str]) -> Found | None:
    item = param.items or Param(param.name)
    if item.enum:
        return _all_enum_values(item, text)
    if item.type in {"number", "integer"}:
        values = [n.value for n in find_numbers(lower_tokens(text)) if not n.ordinal]
        return Found(values, True) if values else None
    items = list_items(text)
    if len(items) >= 2:
        return Found(items, True)
    if items and asked:
        return Found(items, False)
    return None


def _all_enum_values(item: Param, text: str) -> Found | None:
    spoken = " " + " ".join(w for w in lower_tokens(text) if w not in PUNCTUATION) + " "
    values = [v for v in item.enum if f" {' '.join(identifier_words(str(v)))} " in spoken]
    return Found(values, True) if values else None


def _object(param: Param, text: str, asked: bool) -> Found | None:
    value: dict[str, Any] = {}
    typed = False
    for sub in param.properties:
        found = extract(sub, text)
        if found is not None:
            value[sub.name] = found.value
            typed = typed or found.typed
    return Found(value, typed) if value else None


def _free(text: str, asked: bool, cues: frozenset[str]) -> Found | None:
    if asked:
        answer = re.sub(r"^(?:in|at)\s+", "", clean_answer(text), flags=re.IGNORECASE)  # "in Berlin"
        return Found(answer, False) if answer else None
    if cues:
        rest = after_cue(text, cues)
        if rest:
            return Found(rest, False)
    return None


# ---- shared pieces -----------------------------------------------------------------------------


def _name_words(toks: list[str], i: int, *, need_capital: bool) -> str | None:
    taken: list[str] = []
    while i < len(toks) and len(taken) < 4:
        token = toks[i]
        capital = token[:1].isupper() and token != "I"
        if not token[:1].isalpha() or (token.lower() in _NAME_STOP and not capital) or (need_capital and not capital):
            break
        taken.append(token)
        i += 1
    return " ".join(taken) or None


def read_name(text: str) -> str | None:
    """A person's name introduced as "my name is ...", "call me ...", or "I'm ..." (capitalised)."""
    toks = tokens(text)
    low = [t.lower() for t in toks]
    for i in range(len(low)):
        if low[i] in {"name", "name's"}:
            j = i + 1 if low[i] == "name's" else (i + 2 if i + 1 < len(low) and low[i + 1] == "is" else -1)
            if j > 0:
                return _name_words(toks, j, need_capital=False)
        if low[i] == "call" and i + 1 < len(low) and low[i + 1] == "me":
            return _name_words(toks, i + 2, need_capital=False)
        intro = 2 if low[i:i + 2] in (["i", "am"], ["this", "is"]) else 1 if low[i] == "i'm" else 0
        if intro:
            name = _name_words(toks, i + intro, need_capital=True)
            if name:
                return name
    return None


def list_items(text: str) -> list[str]:
    """The items of a spoken series: "update my resume and ask for feedback" -> two items."""
    if ":" in text:
        text = text.split(":", 1)[1]
    candidates = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    sentence = max(candidates, key=lambda s: len(_LIST_SPLIT.findall(s)), default="")
    pieces = _LIST_SPLIT.split(sentence.strip().rstrip(".!?"))
    parts, separators = pieces[0::2], pieces[1::2]
    joins = [i for i, sep in enumerate(separators) if re.search(r"\b(and|or|then)\b", sep, re.IGNORECASE)]
    if joins:
        parts = parts[: joins[-1] + 2]  # the series ends with its last "and" item
    items = [p.strip() for p in parts if p.strip()]
    while len(items) > 1 and clean_answer(items[0]) == "":
        items.pop(0)  # "Sure, ..." opens the sentence, it is not an item
    if items:
        items[0] = _after_list_cue(items[0])
    cleaned = [_ITEM_TAIL.sub("", _ITEM_LEAD.sub("", item)).strip(" ,.") for item in items]
    return [item for item in cleaned if item][:10]


def _after_list_cue(first: str) -> str:
    """Cut what introduces the series: "my next steps are to", "two large pizzas with"."""
    toks = tokens(first)
    low = [t.lower() for t in toks]
    if "with" in low:
        cut = len(low) - 1 - low[::-1].index("with")
    else:
        cut = next((i for i, t in enumerate(low) if t in _LIST_CUES), -1)
    if cut < 0 or cut == len(toks) - 1:
        return first
    return " ".join(toks[cut + 1:])


def after_cue(text: str, cues: frozenset[str]) -> str:
    """The words after the last cue word, to the end of its clause, without leading prepositions."""
    toks = tokens(text)
    last = max((i for i, t in enumerate(toks) if any(stems_meet(stem(t), cue) for cue in cues)), default=-1)
    if last < 0:
        return ""
    rest: list[str] = []
    for token in toks[last + 1:]:
        if token in PUNCTUATION:
            break
        rest.append(token)
    while rest and rest[0].lower() in _LEADING_PREPOSITIONS:
        rest.pop(0)
    return clean_answer(" ".join(rest))


def pick_option(text: str, options: list[Any]) -> Any:
    """Which of the offered options the answer picks: "the second one", "yes" (the first), or by its words."""
    toks = lower_tokens(text)
    for number in find_numbers(toks):
        if number.ordinal and 1 <= number.value <= len(options):
            return options[int(number.value) - 1]
    if "last" in toks and options:
        return options[-1]
    spoken = " ".join(t for t in toks if t not in PUNCTUATION)
    for option in options:
        said = " ".join(identifier_words(str(option)))
        if said and f" {said} " in f" {spoken} ":
            return option
    moment = next((option for option in options if _moment_matches(str(option), toks)), None)
    if moment is not None:
        return moment
    if set(toks) & NO:
        return None
    if set(toks) & YES and options:
        return options[0]
    return None


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _moment_matches(option: str, toks: list[str]) -> bool:
    """An ISO date-time option picked by its weekday and/or hour: "Tuesday at eleven", "the 2:30"."""
    try:
        moment = datetime.fromisoformat(option)
    except ValueError:
        return False
    days = {_WEEKDAYS.index(t) for t in toks if t in _WEEKDAYS}
    hours: set[tuple[int, int | None]] = set()
    for token in toks:
        clock = re.fullmatch(r"(\d{1,2}):(\d{2})", token)
        if clock:
            hours.add((int(clock.group(1)) % 12, int(clock.group(2))))
    for number in find_numbers(toks):
        if not number.ordinal and isinstance(number.value, int) and 1 <= number.value <= 24:
            hours.add((number.value % 12, None))
    if not days and not hours:
        return False
    day_ok = not days or moment.weekday() in days
    hour_ok = not hours or any(h == moment.hour % 12 and m in (None, moment.minute) for h, m in hours)
    return day_ok and hour_ok
