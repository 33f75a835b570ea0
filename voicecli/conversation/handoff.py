"""What one agent passes to the next at a handoff: a compact summary, carried facts, an opening prompt.

The summary holds what the user and the agents said, one line each, newest last, within
``SUMMARY_MAX_CHARS`` characters: the oldest lines are dropped first, and a single line longer
than the bound keeps its end. Facts are the latest values, in any tool result so far, of the keys
a handoff names (``facts: [client_id]``). Both go into the new agent's system instruction, so a
reconnect of the new agent's session keeps them; the opening prompt is its first turn, so it
continues the conversation instead of greeting from scratch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SUMMARY_MAX_CHARS = 2_000
HANDOFF_OUTPUT_KEY = "transferred_to"


@dataclass(frozen=True)
class Said:
    """One line of the conversation: who said it (``user``, or the agent's name) and the words."""

    speaker: str
    text: str

    def line(self) -> str:
        return f"{'User' if self.speaker == 'user' else self.speaker}: {self.text}"


class Facts:
    """The latest value of every key seen in tool results (nested objects and lists included)."""

    def __init__(self) -> None:
        self._latest: dict[str, Any] = {}

    def observe(self, response: Mapping[str, Any]) -> None:
        if "output" in response:
            self._walk(response["output"])

    def _walk(self, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(item, str | int | float | bool):
                    self._latest[str(key)] = item
                self._walk(item)
        elif isinstance(value, list):
            for item in value:
                self._walk(item)

    def carried(self, keys: Iterable[str]) -> dict[str, Any]:
        """The named keys that have a value, in the order named."""
        return {key: self._latest[key] for key in keys if key in self._latest}


def summary(history: Sequence[Said], limit: int = SUMMARY_MAX_CHARS) -> str:
    """The conversation as lines, newest last, at most ``limit`` characters (oldest lines go first)."""
    kept: list[str] = []
    size = 0
    for said in reversed(history):
        line = said.line()
        extra = len(line) + (1 if kept else 0)
        if size + extra > limit:
            if not kept:  # the newest line alone is too long: keep its end
                kept.append("…" + line[-(limit - 1):])
            break
        kept.append(line)
        size += extra
    return "\n".join(reversed(kept))


def seed_context(*, from_agent: str, reason: str, said: str, facts: Mapping[str, Any]) -> str:
    """What the new agent's system instruction adds: where the conversation is, and what is known."""
    parts = [f"You are taking over this conversation from {from_agent}, who transferred the user to you"
             + (f" because {_clause(reason)}." if reason else ".")]
    if facts:
        parts.append("What is already known (from the conversation's tools):\n"
                     + "\n".join(f"- {key}: {_value(value)}" for key, value in facts.items()))
    if said:
        parts.append("What was said so far:\n" + said)
    parts.append("Do not greet the user from scratch or ask again for what is known: continue from here.")
    return "\n\n".join(parts)


def opening_prompt(from_agent: str, to_agent: str) -> str:
    """The new agent's first turn: it speaks first, continuing the conversation."""
    return (f"[{from_agent} has just transferred the user to you, {to_agent}. Speak first: say in one short "
            "sentence that you are taking over, then continue from where the conversation is.]")


def transfer_response(to_agent: str) -> dict[str, Any]:
    """What the transferring agent's call gets back (the tool response envelope's success shape)."""
    return {"output": {HANDOFF_OUTPUT_KEY: to_agent}}


def _clause(reason: str) -> str:
    return reason.strip().rstrip(".")


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
