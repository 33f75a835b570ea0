"""Token accounting: one rule for the run summary, the JSON events, the status line and the log.

The service reports usage per model turn (usually with the turn's end). A report's prompt
count covers everything the model read for that turn, the whole conversation so far, so it
grows from turn to turn; the response count covers what the model said in that turn. Several
reports within one turn are running figures for that turn: the latest stands for the turn.

The session's figures are the sums over its turns of each turn's latest report: what the
service counted (and bills), not the size of the context. ``docs/logs.md`` states the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voicecli import events as ev


@dataclass(frozen=True)
class Tokens:
    prompt: int = 0
    response: int = 0
    total: int = 0

    @classmethod
    def of(cls, usage: ev.Usage) -> Tokens:
        """A report's figures; a missing total is prompt plus response."""
        total = usage.total_tokens or usage.prompt_tokens + usage.response_tokens
        return cls(usage.prompt_tokens, usage.response_tokens, total)

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(self.prompt + other.prompt, self.response + other.response, self.total + other.total)

    def as_dict(self) -> dict[str, int]:
        return {"prompt": self.prompt, "response": self.response, "total": self.total}


@dataclass(frozen=True)
class UsageTally:
    """What the conversation reports after each usage report (the JSON ``usage`` event).

    ``turn_tokens`` is the turn's latest report; ``session`` adds it to every earlier turn.
    ``turn_tokens.total`` is also the size of the context the model read and wrote this turn.
    """

    turn: int
    turn_tokens: Tokens
    session: Tokens


@dataclass
class UsageMeter:
    """Keeps each turn's latest report and sums the turns."""

    _turns: dict[int, Tokens] = field(default_factory=dict)

    def report(self, turn: int, usage: ev.Usage) -> UsageTally:
        self._turns[turn] = Tokens.of(usage)
        return UsageTally(turn, self._turns[turn], self.session)

    @property
    def session(self) -> Tokens:
        return sum(self._turns.values(), Tokens())
