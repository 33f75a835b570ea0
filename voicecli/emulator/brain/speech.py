"""The sentences the brain says: greetings, questions for missing arguments, tool results.

Identifiers (``client_id``, ``id``) are never read aloud: a spoken id helps nobody.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from voicecli.emulator.brain.declarations import Param
from voicecli.emulator.brain.words import humanise, join_words

_LIST_SPOKEN = 3
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_PERSONAL = frozenset({"name", "birth", "email", "phone", "address", "age", "birthday"})
_INVERT = re.compile(r"^((?:what|which|how|where|when|who)(?:\s+\w+)?)\s+you\s+"
                     r"(would|will|can|could|should|did|do|are|were|have)\b", re.IGNORECASE)
_ASK = re.compile(r"\bask\s+(?:the user\s+|them\s+)?((?:what|how|which|who|where|when)\b[^.\n]*)", re.IGNORECASE)


def is_identifier(key: str) -> bool:
    return key.lower() == "id" or key.lower().endswith("_id") or key.endswith("Id")


def spoken(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if not value:
            return "none"
        said = [spoken(item) for item in value]
        if len(said) > _LIST_SPOKEN:
            return f"{', '.join(said[:_LIST_SPOKEN])} and {len(said) - _LIST_SPOKEN} more"
        return join_words(said)
    if isinstance(value, Mapping):
        parts = [f"{humanise(str(k))} {spoken(v)}" for k, v in value.items() if not is_identifier(str(k))]
        return ", ".join(parts) if parts else "done"
    if isinstance(value, str):
        return _moment(value) or value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _moment(text: str) -> str | None:
    """An ISO date-time said the way people say it: "Tuesday May 12 at 9:30 AM"."""
    if not _ISO_MOMENT.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{moment:%A} {moment:%B} {moment.day} at {hour}{minutes} {'AM' if moment.hour < 12 else 'PM'}"


def title(tool_name: str) -> str:
    words = humanise(tool_name)
    return words[:1].upper() + words[1:]


def result_sentence(tool_name: str, output: Any, hide: Collection[str] = ()) -> str:
    """"Create client profile: done. Full name: Ana Lopez. State: TX." from the returned fields."""
    if not isinstance(output, Mapping):
        return f"{title(tool_name)}: {spoken(output)}." if output not in (None, "") else f"{title(tool_name)}: done."
    parts = [f"{title(str(key))}: {spoken(value)}." for key, value in output.items()
             if not is_identifier(str(key)) and key not in hide]
    return " ".join([f"{title(tool_name)}: done.", *parts])


def error_sentence(tool_name: str, message: str) -> str:
    return f"Sorry, {humanise(tool_name)} returned an error: {message.rstrip('.')}."


def _phrase(param: Param) -> str:
    """The thing a parameter holds, from its description: "your full name", "the US state you live in"."""
    text = re.sub(r"\([^)]*\)", "", param.description).strip()
    text = re.split(r"[.;]\s|,|\s+as\s+|\s+e\.g\.|\s+exactly\s", text + " ")[0].strip().rstrip(".")
    if not text:
        text = humanise(param.name)
    text = re.sub(r"\b(?:the|a)\s+(?:client|user|customer|caller|patient)'s\b", "your", text, flags=re.IGNORECASE)
    text = re.sub(r"\b(?:the|a)\s+(?:client|user|customer|caller|patient)\b", "you", text, flags=re.IGNORECASE)
    text = re.sub(r"\byou (\w+?)s\b", r"you \1", text)  # "you lives in" -> "you live in"
    if not re.match(r"(?:the|a|an|your|my|this|that|which|what)\b", text, re.IGNORECASE):
        personal = set(humanise(param.name).split()) & _PERSONAL
        text = f"{'your' if personal else 'the'} {text[:1].lower()}{text[1:]}"
    return text[:1].lower() + text[1:]


def question_for(param: Param) -> str:
    """Ask for one missing argument, in the words of its description."""
    desc = re.sub(r"\([^)]*\)", "", param.description).strip().rstrip(".")
    first = desc.split(".")[0].strip()
    wh = re.match(r"(what|which|who|where|when|how)\b", first, re.IGNORECASE)
    whether = re.match(r"whether\s+(?:to\s+)?(.+)", first, re.IGNORECASE)
    if whether:
        return f"Should I {whether.group(1)}?"
    if wh:
        return first[:1].upper() + first[1:] + "?"
    if param.type == "array":
        return f"What are the {humanise(param.name)}?"
    question = f"What is {_phrase(param)}?"
    if param.enum:
        question = f"{question[:-1]}: {join_words([str(v) for v in param.enum], 'or')}?"
    elif param.type == "boolean":
        question = f"Do you want {humanise(param.name)}?"
    return question


def options_question(options: list[Any]) -> str:
    return f"Which one would you like: {join_words([spoken(o) for o in options[:_LIST_SPOKEN]], 'or')}?"


def greeting(name: str | None, role: str | None, first_name: str | None, question: str | None) -> str:
    hello = f"Hi {first_name}" if first_name else "Hi"
    if name and role:
        intro = f"{hello}, I'm {name}, {role}."
    elif name or role:
        intro = f"{hello}, I'm {name or role}."
    else:
        intro = f"{hello}!"
    return f"{intro} {question or 'How can I help you today?'}"


def greeting_question(request: str) -> str | None:
    """The question a greeting request asks for: "ask what brings the user here today" -> a question."""
    found = _ASK.search(request)
    if not found:
        return None
    asked = re.sub(r"\b(?:the user|them|they)\b", "you", found.group(1).strip(), flags=re.IGNORECASE)
    asked = re.sub(r"\btheir\b", "your", asked, flags=re.IGNORECASE)
    # Reported speech to a question: "what you would like" -> "what would you like".
    asked = _INVERT.sub(r"\1 \2 you", asked)
    return asked[:1].upper() + asked[1:] + "?"


SEARCH_SOURCES = ("example.com", "example.org")  # the search stand-in's sources: reserved, never real


def searched_answer(query: str) -> str:
    """What is said for a question answered by (the stand-in for) Google Search, naming its sources."""
    return f"Here's what I found for {query}: the top results are from {SEARCH_SOURCES[0]} and {SEARCH_SOURCES[1]}."
