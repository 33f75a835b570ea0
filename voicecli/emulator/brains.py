"""The agent side behind one interface, for the turn engine: a scenario's script, or the generic brain.

A brain answers a user turn with a ``Reply`` (a line to say, then calls to make) and, once a reply's
calls are answered, goes on with another ``Reply``. The engine (``engine.py``) does the rest: speech,
call frames, which calls a turn waits for, scheduling, barge-in, usage. A brain's whole knowledge is
``state()``, which a resumed session gives to the brain its new connection builds.

* ``ScenarioBrain`` follows a scenario file (``scenario.py``): steps in order, whatever was said;
  ``{{ heard }}`` is the words recognised or typed.
* ``GenericAgent`` wraps ``brain.GenericBrain``: the session's system instruction and declared tools.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from voicecli.emulator.brain import GenericBrain
from voicecli.emulator.brain import Reply as BrainReply
from voicecli.emulator.grounding import grounding_metadata
from voicecli.emulator.intake import FunctionResponse
from voicecli.emulator.protocol import SessionConfig
from voicecli.emulator.scenario import FaultSpec, Scenario, ScenarioError, Step

UNHEARD_AGAIN = "Sorry, I can't understand speech here. Please type your message."


class BrainFailure(Exception):
    """The brain cannot go on (a scenario that does not fit what happened); the session ends with this reason."""


@dataclass(frozen=True)
class UserTurn:
    """A user turn as the brain gets it."""

    words: str | None  # the typed text or the recognised words; None: audio that could not be recognised
    audio: bool = False
    notice: str = ""  # why the words are missing, in words the agent can say


@dataclass(frozen=True)
class Call:
    id: str
    name: str
    args: Any
    blocking: bool

    def wire(self) -> dict[str, Any]:
        """The entry for ``toolCall.functionCalls``."""
        return {"id": self.id, "name": self.name, "args": self.args}


@dataclass(frozen=True, eq=False)  # compared by identity: pending calls name the reply they came from
class Reply:
    """Say ``text``, then make ``calls``. ``faults`` are a scenario step's, applied by the engine at their moment."""

    text: str = ""
    calls: tuple[Call, ...] = ()
    faults: tuple[FaultSpec, ...] = ()
    context: Any = None  # the brain's own: where a follow-up goes on from
    grounding: Any = None  # serverContent.groundingMetadata to send after the line (a searched answer)

    @property
    def waits(self) -> bool:
        """The turn stays open until the blocking calls are answered."""
        return any(call.blocking for call in self.calls)


class Brain(Protocol):
    name: str

    def reply_to(self, turn: UserTurn) -> Reply: ...

    def answered(self, source: Reply, answers: Sequence[FunctionResponse], *, respond: bool) -> Reply:
        """``source``'s calls were answered (all its blocking ones, or one non-blocking one).

        ``respond=False`` (a SILENT result): take the results in, say nothing.
        """
        ...

    def cancelled(self, call_ids: Sequence[str]) -> None: ...

    def state(self) -> Any: ...

    def restore(self, state: Any) -> None: ...


def make_brain(scenario: Scenario | None, config: SessionConfig, call_ids: Callable[[], str]) -> Brain:
    if scenario is None:
        return GenericAgent(config, call_ids)
    return ScenarioBrain(scenario, config.tool_behaviour, call_ids)


def _joined(*parts: str) -> str:
    return " ".join(part for part in parts if part)


# ---- the scenario --------------------------------------------------------------------------------


def _heard(turn: UserTurn) -> str:
    """``{{ heard }}``: the words in quotes, or what there was instead."""
    if turn.words:
        return f'"{turn.words}"'
    if turn.words is None:
        return "audio I could not recognise"
    return "nothing I could make out" if turn.audio else "nothing"


class ScenarioBrain:
    """A scenario's steps, one per user turn, in order (see ``docs/scenarios.md``)."""

    def __init__(self, scenario: Scenario, behaviours: Mapping[str, str], call_ids: Callable[[], str]) -> None:
        self.scenario = scenario
        self.name = f"scenario {scenario.name}"
        self._behaviours = behaviours
        self._call_ids = call_ids
        self._next_step = 0
        self._opened = False  # a first turn happened: the opening step no longer applies
        self._results: dict[str, Any] = {}  # tool name -> its latest response

    def reply_to(self, turn: UserTurn) -> Reply:
        scenario = self.scenario
        if not self._opened and not turn.audio and scenario.opening is not None:
            step = scenario.opening
        elif self._next_step < len(scenario.turns):
            step = scenario.turns[self._next_step]
            self._next_step += 1
        else:
            step = scenario.fallback
        self._opened = True
        return self._guarded(lambda: self._run(step, step, heard=_heard(turn)))

    def answered(self, source: Reply, answers: Sequence[FunctionResponse], *, respond: bool) -> Reply:
        for answer in answers:
            self._results[answer.name] = dict(answer.response)
        if not respond:
            return Reply()
        body, top = source.context
        return self._guarded(lambda: self._then(body, top))

    def cancelled(self, call_ids: Sequence[str]) -> None:
        return None  # a scenario goes on with its next step whatever was cancelled

    def state(self) -> Any:
        return {"next_step": self._next_step, "opened": self._opened, "results": copy.deepcopy(self._results)}

    def restore(self, state: Any) -> None:
        self._next_step = int(state.get("next_step", 0))
        self._opened = bool(state.get("opened", False))
        self._results = copy.deepcopy(dict(state.get("results") or {}))

    def _guarded(self, run: Callable[[], Reply]) -> Reply:
        try:
            return run()
        except ScenarioError as error:
            raise BrainFailure(f"{self.name}: {error}") from None

    def _run(self, body: Step, top: Step, *, heard: str | None = None) -> Reply:
        """Say ``body``'s line and make its calls; with no calls, go straight on with its ``then``."""
        context = {**self._results, **({"heard": heard} if heard is not None else {})}
        line = body.line(context)
        user_turn = heard is not None
        if not body.tool_calls:
            rest = self._then(body, top)
            return Reply(_joined(line, rest.text), rest.calls, self._faults(top, start=user_turn, calls=False),
                         rest.context)
        rendered = [body.call_args(spec, context) for spec in body.tool_calls]  # all or none go out
        calls = []
        for spec, args in zip(body.tool_calls, rendered, strict=True):
            declared = self._behaviours.get(spec.name, "BLOCKING") == "BLOCKING"
            blocking = declared if spec.blocking is None else spec.blocking
            calls.append(Call(self._call_ids(), spec.name, args, blocking))
        # A step's own faults: the call faults only for its own calls, not a branch's.
        return Reply(line, tuple(calls), self._faults(top, start=user_turn, calls=body is top), (body, top))

    def _then(self, body: Step, top: Step) -> Reply:
        """The branch of ``body.then`` that the latest results select, or the end of the turn."""
        branch = body.branch(self._results)
        if branch is None:
            return Reply("", (), self._faults(top, start=False, calls=False), (body, top))
        return self._run(branch, top)

    @staticmethod
    def _faults(top: Step, *, start: bool, calls: bool) -> tuple[FaultSpec, ...]:
        wanted = {"end"} | ({"start"} if start else set()) | ({"tool_call"} if calls else set())
        return tuple(fault for fault in top.faults if fault.when in wanted)


# ---- the generic brain ---------------------------------------------------------------------------


def _from_brain(reply: BrainReply) -> Reply:
    grounding = grounding_metadata(reply.search, reply.text) if reply.search is not None else None
    return Reply(reply.text, tuple(Call(c.id, c.name, c.args, c.blocking) for c in reply.tool_calls),
                 grounding=grounding)


class GenericAgent:
    """The generic brain (``brain/``) for a session: its instruction and tools as ``setup`` declared them."""

    name = "generic"

    def __init__(self, config: SessionConfig, call_ids: Callable[[], str]) -> None:
        self._brain = GenericBrain(config.system_instruction, config.declarations, call_ids=call_ids,
                                   search="google_search" in config.builtin_tools)
        self._opened = False
        self._told_unheard = False  # the notice about audio it cannot understand is said once per session

    def reply_to(self, turn: UserTurn) -> Reply:
        if turn.words is None:
            if self._told_unheard or not turn.notice:
                return Reply(UNHEARD_AGAIN)
            self._told_unheard = True
            return Reply(turn.notice)
        opening = not self._opened
        self._opened = True
        if opening and not turn.words.strip():
            return _from_brain(self._brain.greet())  # "answer now" with nothing said yet: the opening
        return _from_brain(self._brain.user_turn(turn.words))

    def answered(self, source: Reply, answers: Sequence[FunctionResponse], *, respond: bool) -> Reply:
        reply = self._brain.tool_results([answer.wire() for answer in answers])
        if not respond:
            self._brain.cancelled([call.id for call in reply.tool_calls])  # never sent
            return Reply()
        return _from_brain(reply)

    def cancelled(self, call_ids: Sequence[str]) -> None:
        self._brain.cancelled(call_ids)

    def state(self) -> Any:
        return {"brain": self._brain.state(), "opened": self._opened, "told_unheard": self._told_unheard}

    def restore(self, state: Any) -> None:
        self._brain.restore(state.get("brain") or {})
        self._opened = bool(state.get("opened", False))
        self._told_unheard = bool(state.get("told_unheard", False))
