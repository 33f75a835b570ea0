"""A small language identifier for agent lines: function words and letters, no model.

Good enough to tell whether a line of a few words is English, Spanish, French, German, Italian,
Portuguese or Dutch, and to see non-Latin scripts. It answers None when a line gives too little
to go on (a number, a name, "OK"), so a check never fails on a guess.
"""

from __future__ import annotations

import re

MIN_HITS = 2  # function words needed before a Latin-script line is judged at all

_FUNCTION_WORDS = {
    "en": "the a an and or but is are was were be been have has had do does did i you he she it we they me "
          "my your our their this that these those what which who how when where why of to in on for with at "
          "by from about can could would should will not no yes there here let's i'm you're it's don't them as "
          "i'll we'll that's so if just some any all more up out now then than too very also thank thanks "
          "hi hello okay sounds like get go see tell",
    "es": "el la los las un una unos unas y o pero es son era fue ser estar está están he ha hemos tengo "
          "tiene yo tú usted él ella nosotros ellos me mi tu su nuestro este esta esto ese esa qué cuál quién "
          "cómo cuándo dónde por qué de del al en con para sin sobre puedo puede no sí hay aquí muy también "
          "gracias hola le lo se a voy vamos quieres tienes puedes dime claro",
    "fr": "le la les un une des et ou mais est sont était être avoir ai a avons je tu il elle nous vous ils "
          "elles me mon ma mes ton ta votre notre ce cette ces quoi quel quelle qui comment quand où pourquoi "
          "de du au aux en dans avec pour sans sur peux peut ne pas oui il y voici très aussi merci bonjour",
    "de": "der die das ein eine einen und oder aber ist sind war waren sein haben habe hat ich du er sie es "
          "wir ihr mich mein meine dein ihre unser dieser diese dieses was welche wer wie wann wo warum von "
          "zu im in auf für mit bei aus über kann können nicht kein ja nein hier sehr auch danke hallo",
    "it": "il lo la i gli le un una e o ma è sono era essere avere ho ha abbiamo io tu lui lei noi voi loro "
          "mi mio mia tuo tua suo questo questa quello che cosa quale chi come quando dove perché di del della "
          "in con per senza su posso può non sì qui molto anche grazie ciao",
    "pt": "o a os as um uma uns umas e ou mas é são era ser estar está tenho tem eu tu você ele ela nós eles "
          "me meu minha seu sua nosso este esta isso esse essa que qual quem como quando onde porquê de do da "
          "dos das em no na com para sem sobre posso pode não sim há aqui muito também obrigado olá",
    "nl": "de het een en of maar is zijn was waren hebben heb heeft ik jij je hij zij wij jullie mij mijn "
          "jouw ons onze dit dat deze die wat welke wie hoe wanneer waar waarom van naar in op voor met bij "
          "uit over kan kunnen niet geen ja nee hier heel ook dank hallo",
}
_WORDS = {language: frozenset(words.split()) for language, words in _FUNCTION_WORDS.items()}
# Letters only some of these languages use: a hint on top of the word counts.
_LETTERS = {"es": "ñ¿¡", "fr": "çœèêëîôûù", "de": "äöüß", "pt": "ãõç", "it": "ìò"}
_SCRIPTS = [
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
]
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def identify(text: str) -> str | None:
    """The primary language subtag of ``text`` ("en", "es", ...), or None when it cannot tell."""
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return None
    for language, script in _SCRIPTS:
        if len(script.findall(text)) * 2 >= len(letters):
            return language
    words = [word.lower().replace("’", "'") for word in _WORD.findall(text.replace("’", "'"))]
    scores = {language: sum(word in vocabulary for word in words) for language, vocabulary in _WORDS.items()}
    lowered = text.lower()
    for language, marks in _LETTERS.items():
        scores[language] += sum(lowered.count(mark) for mark in marks)
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, runner_up) = ranked[0], ranked[1]
    if top < MIN_HITS or top == runner_up:
        return None
    return best
