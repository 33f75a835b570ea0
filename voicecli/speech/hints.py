"""Bias from the session's own words: declared tools, their enum values and the system instruction.

Whisper takes a text prompt as "what was said before"; a short glossary there makes it prefer
those spellings (names, places, product words) when the audio is ambiguous. ``session_hints``
picks the words worth biasing towards from a Live setup (plain JSON shapes, so the emulator and the
client can both use it); ``bias_prompt`` turns hints into the prompt text, within Whisper's budget.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MAX_PROMPT_CHARS = 600  # about 150 tokens: Whisper allows 223 prompt tokens, and each one costs decoder time

# Capitalised words that start sentences or are too common to help.
_COMMON = {
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "do", "don't", "for", "from", "he", "her", "his",
    "how", "i", "if", "in", "is", "it", "its", "keep", "me", "my", "never", "no", "not", "of", "on", "or", "our",
    "please", "she", "so", "that", "the", "their", "then", "there", "they", "this", "to", "use", "we", "what",
    "when", "where", "which", "who", "why", "will", "with", "you", "your", "always", "only", "answer",
    "ask", "say", "speak", "tell", "reply", "respond", "call", "yes", "ok", "okay",
}  # fmt: skip
_COMMON_VERBS = {
    "add", "book", "cancel", "check", "close", "create", "delete", "end", "find", "get", "list", "make", "open",
    "play", "put", "remove", "search", "send", "set", "show", "start", "stop", "turn", "update",
}  # fmt: skip
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")
_SENTENCE_START = re.compile(r"(?:^|(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bSt)[.!?:;\n]\s*|[-*•]\s+)$")


def session_hints(system_instruction: str = "", function_declarations: Iterable[Mapping[str, Any]] = ()) -> list[str]:
    """Words to bias towards, most useful first: enum values, words of tool names, names in the instruction.

    ``function_declarations`` are Live API shapes (``name``, ``parameters`` or
    ``parametersJsonSchema`` with ``properties`` and ``enum``); unknown keys are ignored.
    """
    hints: list[str] = []
    for declaration in function_declarations:
        schema = declaration.get("parameters") or declaration.get("parametersJsonSchema") or {}
        hints += _enum_values(schema)
    for declaration in function_declarations:
        # Single words, and not the common verbs: the model copies a glossary phrase such as
        # "set thermostat" word for word over "set the thermostat".
        words = _words_of_identifier(str(declaration.get("name", ""))).split()
        hints += [word for word in words if word not in _COMMON_VERBS]
    hints += _names_in(system_instruction)
    return _unique(hints)


def bias_prompt(hints: Sequence[str], max_chars: int = MAX_PROMPT_CHARS) -> str:
    """A glossary line for Whisper's prompt, or "" when there is nothing to bias towards."""
    chosen: list[str] = []
    used = len("Glossary: .")
    for hint in _unique(" ".join(h.split()) for h in hints):
        if used + len(hint) + 2 > max_chars:
            break
        chosen.append(hint)
        used += len(hint) + 2
    return f"Glossary: {', '.join(chosen)}." if chosen else ""


def _enum_values(schema: Any) -> list[str]:
    found: list[str] = []
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            if key == "enum" and isinstance(value, list):
                found += [_words_of_identifier(str(v)) for v in value if isinstance(v, str | int)]
            else:
                found += _enum_values(value)
    elif isinstance(schema, list):
        for item in schema:
            found += _enum_values(item)
    return found


def _words_of_identifier(identifier: str) -> str:
    """``set_thermostat`` / ``setThermostat`` / ``SET-THERMOSTAT`` -> ``set thermostat``; phrases stay."""
    if " " in identifier.strip():
        return " ".join(identifier.split())  # already words, such as an enum value "Amara Nwosu"
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", identifier)
    return " ".join(w.lower() for w in re.split(r"[\s_\-.]+", spaced) if w)


def _names_in(text: str) -> list[str]:
    """Capitalised words and phrases that do not merely start a sentence: names, places, products."""
    names: list[str] = []
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        if len(words) > 1 and all(word.isupper() for word in words):
            continue  # a directive in capitals ("YOU MUST RESPOND IN ENGLISH"), not a name
        if _SENTENCE_START.search(text[: match.start()]):
            words = words[1:]  # the first word is capitalised because it starts the sentence
        while words and words[0].lower() in _COMMON:
            words = words[1:]
        if words and not (len(words) == 1 and words[0].lower() in _COMMON):
            names.append(" ".join(words))
    return names


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for item in items:
        key = item.strip().lower()
        if key and key not in seen:
            seen.add(key)
            result.append(item.strip())
    return result
