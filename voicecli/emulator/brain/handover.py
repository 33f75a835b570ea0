"""A conversation handed over from another agent: who passed it on, the facts carried, what was said.

After a transfer the client opens a new session for the target agent and seeds it (see
docs/generic-brain.md, Handoffs). This reads that seed wherever it is, in the system instruction or in
the opening text turn, in the form voicecli's conversation engine writes::

    You are taking over this conversation from Sam, who transferred the user to you because ...
    What is already known (from the conversation's tools):
    - caller_name: Ana
    What was said so far:
    User: I'd like some career coaching.
    Sam: I'll connect you with Laura now.

and in a compact form other clients may use: a line ``Facts: key: value; key: value`` and a
``Summary:`` block (the same ``Speaker: words`` lines, or free sentences). Reading is tolerant: any part
may be missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FROM = re.compile(
    r"\btaking over (?:this|the) conversation from ([^,.\n]+?)(?:,|\s+who\b|\.|$)"
    r"|\[?\s*([A-Z][^\[\],.\n]*?) has (?:just )?(?:transferred|handed|passed) (?:the (?:user|caller)|you|them)",
    re.IGNORECASE | re.MULTILINE)
_OPENING = re.compile(
    r"\b(?:has (?:just )?(?:transferred|handed over|passed) (?:the (?:user|caller)|them) (?:to|on to) you"
    r"|taking over (?:this|the) conversation|continue (?:the conversation )?without greeting"
    r"|do not greet|don't greet)\b", re.IGNORECASE)
_KNOWN_HEADER = re.compile(r"^\s*(?:what is already known|known facts|facts)\b[^\n:]*:\s*$",
                           re.IGNORECASE | re.MULTILINE)
_FACTS_LINE = re.compile(r"^\s*facts\s*:\s*(\S.*)$", re.IGNORECASE | re.MULTILINE)
_BULLET = re.compile(r"^\s*[-*]\s*([A-Za-z_][\w .-]*?)\s*:\s*(.+?)\s*$")
_SAID_HEADER = re.compile(r"^\s*(?:what was said so far|summary|conversation so far)\b[^\n:]*:\s*(.*)$",
                          re.IGNORECASE | re.MULTILINE)
_SPEAKER_LINE = re.compile(r"^\s*([A-Z][\w' -]{0,40}?)\s*:\s*(.+?)\s*$")


@dataclass(frozen=True)
class Handover:
    from_agent: str | None = None
    facts: dict[str, str] = field(default_factory=dict)
    said: tuple[tuple[str, str], ...] = ()  # (speaker, words), oldest first; speaker "user" for the user

    @property
    def user_lines(self) -> list[str]:
        """What the user said, or a free summary said about them, oldest first."""
        return [words for speaker, words in self.said if speaker in {"user", "summary"}]

    def merged(self, other: Handover) -> Handover:
        return Handover(self.from_agent or other.from_agent, {**self.facts, **other.facts},
                        self.said or other.said)


def is_opening(text: str) -> bool:
    """Is this text turn the prompt that opens a handed-over session (continue, do not greet)?"""
    return bool(_OPENING.search(text))


def read_handover(text: str) -> Handover | None:
    """The handover described in ``text`` (an instruction or an opening turn), or None when there is none."""
    found = _FROM.search(text)
    from_agent = next((group.strip() for group in found.groups() if group), None) if found else None
    facts = _facts(text)
    said = _said(text)
    if from_agent is None and not facts and not said and not is_opening(text):
        return None
    return Handover(from_agent, facts, said)


def _facts(text: str) -> dict[str, str]:
    facts: dict[str, str] = {}
    for found in _FACTS_LINE.finditer(text):
        for item in re.split(r";\s*", found.group(1)):
            key, sep, value = item.partition(":")
            if sep and key.strip() and value.strip():
                facts[key.strip()] = value.strip()
    header = _KNOWN_HEADER.search(text)
    if header:
        for line in text[header.end():].lstrip("\n").splitlines():  # the bullets that follow
            bullet = _BULLET.match(line)
            if not bullet:
                break
            facts[bullet.group(1).strip()] = bullet.group(2)
    return facts


def _said(text: str) -> tuple[tuple[str, str], ...]:
    header = _SAID_HEADER.search(text)
    if not header:
        return ()
    lines = ([header.group(1)] if header.group(1).strip() else []) + text[header.end():].lstrip("\n").splitlines()
    said: list[tuple[str, str]] = []
    for line in lines:
        if not line.strip():
            if said:
                break
            continue
        speaker = _SPEAKER_LINE.match(line)
        if speaker and not line.lstrip().lower().startswith(("do not", "don't", "continue")):
            who = speaker.group(1).strip()
            said.append(("user" if who.lower() in {"user", "caller", "client", "customer"} else who,
                         speaker.group(2)))
        elif said or header.group(1).strip():
            if line.lstrip().lower().startswith(("do not", "don't", "continue", "[")):
                break
            said.append(("summary", line.strip()))  # a free sentence of a summary
        else:
            break
    return tuple(said)
