"""Language drift (a fault): a reply said in another language, and the client's directive that ends it.

The field reports describe a native-audio model that answers, for a turn or more, in a language other
than the one its instruction names. The emulator stands that in deterministically: the reply the brain
chose is replaced by a Spanish line that keeps its gist where the line is one the brains say often (a
greeting, "One moment."), and otherwise says in Spanish that it is answering in Spanish. Tool calls are
unchanged. A client text turn that asks for English ("Please respond in English only") ends the drift.
"""

from __future__ import annotations

import re

VOICES = {"es": "es"}  # drift language -> espeak-ng voice
_GREETING = re.compile(r"^Hi(?: ([A-Z][\w'-]*))?, I'm ([A-Z][\w'-]*(?: [A-Z][\w'-]*)?)")
_ONE_MOMENT = re.compile(r"^One moment\.")
_FALLBACK_ES = ("Perdona, te respondo en español. Entiendo lo que me dices y sigo aquí para ayudarte "
                "con lo que necesites.")
_DIRECTIVE_VERBS = re.compile(r"\b(?:respond|reply|answer|speak|talk|continue|use|language|say)\w*\b", re.IGNORECASE)
_LANGUAGE_NAMES = {"en": re.compile(r"\benglish\b|\ben-us\b", re.IGNORECASE)}
ACK = {"en": "Sorry about that. I'll speak English from now on."}


def translate(text: str, language: str) -> str:
    """``text`` as a drifted reply in ``language`` (only ``es``)."""
    if language != "es":
        raise ValueError(f"no drift language {language!r}")
    leading = text[: len(text) - len(text.lstrip())]  # a line that continues a turn keeps its space
    line = text.strip()
    greeting = _GREETING.match(line)
    if greeting:
        user, name = greeting.groups()
        return f"{leading}Hola{' ' + user if user else ''}, soy {name}. ¿En qué puedo ayudarte hoy?"
    if _ONE_MOMENT.match(line):
        return f"{leading}Un momento, por favor."
    return f"{leading}{_FALLBACK_ES}"


def is_language_directive(text: str, language: str = "en") -> bool:
    """Does a client's text turn ask the model to use ``language`` (as a drift guard's steer does)?"""
    names = _LANGUAGE_NAMES.get(language)
    return bool(names and names.search(text) and _DIRECTIVE_VERBS.search(text))
