"""GenericBrain: the agent side of a conversation, from the session's instruction and tools alone.

Deterministic: the same setup and the same turns give the same replies and calls. It keeps no clock
and no randomness; its whole state is ``state()``, a JSON-ready dict that ``restore()`` takes back.

A turn goes through these, first match wins:
1. a greeting request (the opening prompt, or a bare "hello") -> a greeting in the agent's name;
2. an answer to the question the brain asked for a missing argument -> the call it was waiting for;
3. a question about what the user said earlier ("what is my favourite colour?") -> the fact;
4. a request that matches a declared tool -> the call, or a question for its first missing argument;
5. anything else -> a short answer that reflects the words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from voicecli.emulator.brain.choose import build_vocabulary, choose_tool
from voicecli.emulator.brain.declarations import Param, Tool, declarations_in, read_tools
from voicecli.emulator.brain.extract import NO, extract, kind_of, pick_option
from voicecli.emulator.brain.handover import Handover, is_opening, read_handover
from voicecli.emulator.brain.instruction import read_instruction
from voicecli.emulator.brain.memory import Fact, Memory, Recall, is_question
from voicecli.emulator.brain.speech import (
    error_sentence,
    greeting,
    greeting_question,
    options_question,
    question_for,
    result_sentence,
    searched_answer,
)
from voicecli.emulator.brain.words import STOPWORDS, content_stems, lower_tokens, reflect, sentences, stem

STATE_VERSION = 1
TRANSFER_PREFIX = "transfer_to_"  # a handoff's function (docs/generic-brain.md, Handoffs)
_HEARD_KEPT = 50  # user turns kept for arguments said earlier
_EARLIER_KINDS = frozenset({"date", "us_state", "email", "phone", "person_name"})  # facts about the user
_GREETING_REQUEST = re.compile(r"\b(?:greet|introduce yourself|say hello|speak first|conversation is starting)\b",
                               re.IGNORECASE)
_HELLO = re.compile(r"^\s*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening))(?:\s+there)?[\s!.,]*$",
                    re.IGNORECASE)
_KNOWN_FACT = re.compile(r"^\s*-\s*([^:\n]+):\s*(.+?)\s*$", re.MULTILINE)
_CANCEL = re.compile(r"\b(?:cancel|never mind|nevermind|forget it|stop)\b", re.IGNORECASE)
_THANKS = re.compile(r"^\s*(?:thanks|thank you)\b", re.IGNORECASE)
_BYE = re.compile(r"\b(?:bye|goodbye|see you)\b", re.IGNORECASE)
_SEARCH_REQUEST = re.compile(r"\b(?:search(?: the web| online| google)?(?: for)?|look up|google)\s+(.+)",
                             re.IGNORECASE)


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    args: dict[str, Any]
    blocking: bool = True

    def wire(self) -> dict[str, Any]:
        """The entry for ``toolCall.functionCalls``."""
        return {"id": self.id, "name": self.name, "args": self.args}


@dataclass(frozen=True)
class Reply:
    """What to say (may be empty), then which tools to call (may be none)."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    search: str | None = None  # the query, when the answer came from Google Search (the session declared it)

    @property
    def blocking(self) -> bool:
        """The turn waits for tool responses before it completes."""
        return any(call.blocking for call in self.tool_calls)


@dataclass
class _Ask:
    """A question the brain asked for one missing argument of a call it wants to make."""

    tool: str
    param: str
    args: dict[str, Any] = field(default_factory=dict)  # the arguments gathered so far
    options: list[Any] = field(default_factory=list)  # the offered choices, when the value must be one

    def to_dict(self) -> dict[str, Any]:
        return {"tool": self.tool, "param": self.param, "args": self.args, "options": self.options}


def _joined(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _unwrap(response: Any) -> tuple[bool, Any]:
    """(ok, output or error message) from a function response: ``{"output": ...}`` or ``{"error": ...}``."""
    if not isinstance(response, Mapping):
        return True, response
    error = response.get("error")
    if "output" in response:
        body = response["output"]
        if isinstance(body, Mapping) and not error:
            error = body.get("error")
    else:
        body = {key: value for key, value in response.items() if key not in {"scheduling", "error"}}
    if error:
        message = (error.get("message") or error.get("code")) if isinstance(error, Mapping) else error
        return False, str(message or "unknown error")
    return True, body


def _agent_name(tool_name: str) -> str:
    """``transfer_to_laura`` -> "Laura"; ``transfer_to_billing_desk`` -> "the billing desk"."""
    words = tool_name.removeprefix(TRANSFER_PREFIX).split("_")
    return words[0].title() if len(words) == 1 else "the " + " ".join(words)


def _recalled(recall: Recall) -> str:
    if recall.answer is None:
        return f"You haven't told me {recall.asked} yet."
    return f"{recall.answer[:1].upper()}{recall.answer[1:]}."


def _is_empty(output: Any) -> bool:
    """A lookup that found nothing: every field apart from identifiers is null, empty or false."""
    if isinstance(output, Mapping):
        return all(_is_empty(v) for k, v in output.items() if not (k == "id" or str(k).endswith("_id")))
    return output in (None, "", [], {}, False)


class GenericBrain:
    """The agent for sessions without a scenario. See the module docstring and docs/generic-brain.md."""

    def __init__(self, instruction: str = "", declarations: Iterable[Mapping[str, Any]] = (), *,
                 call_ids: Callable[[], str] | None = None, search: bool = False) -> None:
        self.tools: tuple[Tool, ...] = read_tools(declarations)
        self._by_name = {tool.name: tool for tool in self.tools}
        self.instruction = read_instruction(instruction, self.tools)
        self._vocabulary = build_vocabulary(self.tools, self.instruction.context)
        self._call_ids = call_ids
        self._search = search  # the session declared the built-in google_search tool
        self.memory = Memory()
        self._heard: list[str] = []
        self._outputs: dict[str, Any] = {}  # tool -> latest successful output; most recent last
        self._pending: dict[str, dict[str, Any]] = {}  # call id -> {"name", "args"}
        self._ask: _Ask | None = None
        # Tools the user asked for that wait on another call, with the arguments already heard.
        self._goals: dict[str, dict[str, Any]] = {}
        self._counter = 0
        # Facts a handover carried (key -> value as written): known, used for arguments of that name.
        self._carried: dict[str, str] = {}
        self._handover: Handover | None = None
        handover = read_handover(instruction)
        if handover is not None:
            self._take_handover(handover)

    @classmethod
    def from_setup(cls, setup: Mapping[str, Any], *, call_ids: Callable[[], str] | None = None) -> GenericBrain:
        """Build from a ``setup`` message body (camelCase or snake_case keys)."""
        content = setup.get("system_instruction", setup.get("systemInstruction"))
        if isinstance(content, Mapping):
            parts = content.get("parts") or []
            text = "\n".join(str(p.get("text", "")) for p in parts if isinstance(p, Mapping))
        else:
            text = str(content or "")
        return cls(text, declarations_in(setup.get("tools")), call_ids=call_ids)

    # ---- turns ------------------------------------------------------------------------------

    def greet(self, prompt: str = "") -> Reply:
        """The opening: a greeting in the agent's name and role (facts listed in the prompt are kept).

        A handed-over session has no greeting: it goes on from where the previous agent was.
        """
        if self._handover is not None or is_opening(prompt):
            return self._continue_handover(prompt)
        for key, value in _KNOWN_FACT.findall(prompt):
            self.memory.remember(Fact(key.strip().lower().replace("_", " "), "is", value))
        first_name = self.memory.value_of("name")
        text = greeting(self.instruction.name, self.instruction.role,
                        first_name.split()[0] if first_name else None, greeting_question(prompt))
        return Reply(text)

    def user_turn(self, text: str) -> Reply:
        """Answer what the user said (typed, or recognised from their audio)."""
        text = text.strip()
        if not text:
            return Reply("Sorry, I didn't catch that. Could you say it again?")
        if is_opening(text):
            return self._continue_handover(text)
        if _GREETING_REQUEST.search(text) or (_HELLO.match(text) and not self._ask):
            return self.greet(text)
        recall = self.memory.recall(text)
        learned = self.memory.learn(text) if recall is None else []
        self._heard = [*self._heard, text][-_HEARD_KEPT:]
        if self._ask is not None:
            answered = self._answer(text)
            if answered is not None:
                return answered
        chosen = choose_tool(text, self.tools, self._vocabulary)
        # "Where is my order?" was never said, but a tool named for orders can answer it.
        if recall is not None and not (recall.answer is None and chosen and self._names_thing(chosen, recall.asked)):
            return Reply(_joined(_recalled(recall), self._reask()))
        if chosen is not None:
            return self._request(chosen, text)
        query = self._search_query(text) if self._search and not learned else None
        if query is not None:
            return Reply(_joined(searched_answer(query), self._reask()), search=query)
        return Reply(_joined(self._small_talk(text, learned), self._reask()))

    def tool_results(self, results: Iterable[Mapping[str, Any]]) -> Reply:
        """Take function responses (``{"id", "name", "response"}`` as the wire sends them).

        Says what came back, and goes on: the next call the instruction orders, the call a
        finished prerequisite was for, or a question. Responses to cancelled or unknown calls are
        ignored (an empty Reply).
        """
        said: list[str] = []
        finished: list[tuple[str, Any]] = []
        failed = False
        for result in results:
            call = self._take_pending(result)
            if call is None:
                continue
            ok, output = _unwrap(result.get("response"))
            if ok:
                self._outputs.pop(call["name"], None)
                self._outputs[call["name"]] = output
                finished.append((call["name"], output))
            else:
                failed = True
                said.append(error_sentence(call["name"], str(output)))
                said.append(self._retry_question(call, str(output)))
        following = Reply() if failed or not finished else self._continue_after(finished[-1][0])
        hide = {f for name, output in finished for f in self._offered_fields(output)}
        # A transfer's result says nothing: the next agent speaks next.
        spoken = [result_sentence(name, output, hide) for name, output in finished
                  if not name.startswith(TRANSFER_PREFIX)]
        return Reply(_joined(*spoken, *said, following.text), following.tool_calls)

    def cancelled(self, call_ids: Iterable[str]) -> None:
        """The user barged in and these calls were cancelled: forget them and what they led to."""
        dropped = [self._pending.pop(call_id, None) for call_id in call_ids]
        if any(dropped):
            self._goals = {}

    # ---- state ------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything the brain knows, JSON-ready, for a resumed session."""
        return {
            "version": STATE_VERSION,
            "memory": self.memory.to_list(),
            "heard": list(self._heard),
            "outputs": [[name, output] for name, output in self._outputs.items()],
            "pending": {call_id: dict(call) for call_id, call in self._pending.items()},
            "ask": self._ask.to_dict() if self._ask else None,
            "goals": [[name, args] for name, args in self._goals.items()],
            "counter": self._counter,
            "carried": dict(self._carried),
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        self.memory = Memory.from_list(state.get("memory"))
        self._heard = [str(t) for t in state.get("heard") or []][-_HEARD_KEPT:]
        self._outputs = {str(row[0]): row[1] for row in state.get("outputs") or [] if len(row) == 2}
        self._pending = {str(k): dict(v) for k, v in (state.get("pending") or {}).items()}
        ask = state.get("ask")
        self._ask = _Ask(ask["tool"], ask["param"], dict(ask.get("args") or {}), list(ask.get("options") or [])) \
            if isinstance(ask, Mapping) and ask.get("tool") in self._by_name else None
        self._goals = {str(row[0]): dict(row[1]) for row in state.get("goals") or []
                       if len(row) == 2 and row[0] in self._by_name and isinstance(row[1], Mapping)}
        self._counter = int(state.get("counter") or 0)
        self._carried = {str(k): str(v) for k, v in (state.get("carried") or {}).items()}

    # ---- a handed-over conversation ---------------------------------------------------------

    def _take_handover(self, handover: Handover) -> None:
        """Know what the previous agent knew: carried facts, and what the user said to it."""
        self._handover = handover if self._handover is None else self._handover.merged(handover)
        for key, value in handover.facts.items():
            self._carried[key] = value
            self.memory.remember(Fact(key.strip().lower().replace("_", " "), "is", value))
        for line in handover.user_lines:
            self.memory.learn(line)
            self._heard = [*self._heard, line][-_HEARD_KEPT:]

    def _continue_handover(self, text: str) -> Reply:
        """The opening of a handed-over session: say who takes over, then go on, without a greeting."""
        handover = read_handover(text)
        if handover is not None:
            self._take_handover(handover)
        known = self._handover or Handover()
        name = self.instruction.name
        taking = f"I'm {name}, taking over" if name else "I'm taking over"
        intro = f"{taking} from {known.from_agent}." if known.from_agent else f"{taking} from here."
        request = next((line for line in reversed(known.user_lines)
                        if choose_tool(line, self._own_tools(), self._vocabulary)), None)
        if request is not None:
            chosen = choose_tool(request, self._own_tools(), self._vocabulary)
            assert chosen is not None
            follow = self._request(chosen, request)
            return Reply(_joined(intro, follow.text), follow.tool_calls)
        last = known.user_lines[-1] if known.user_lines else ""
        if last:
            said = " ".join(reflect(sentences(last)[0] if sentences(last) else last).split()[:25]).rstrip(".!?")
            return Reply(_joined(intro, f"You told {known.from_agent or 'them'} {said}.",
                                 "Where would you like to start?"))
        return Reply(_joined(intro, "Where would you like to start?"))

    def _own_tools(self) -> tuple[Tool, ...]:
        """Tools that do the work here (a transfer onward is not what a handed-over request is for)."""
        return tuple(tool for tool in self.tools if not tool.name.startswith(TRANSFER_PREFIX))

    # ---- choosing and calling ---------------------------------------------------------------

    def _request(self, tool: Tool, text: str) -> Reply:
        """The user asked for ``tool``: start from the first step the instruction puts before it."""
        if self._ask is not None and self._ask.tool == tool.name:
            return Reply(self._reask())
        self._ask = None
        root = self._root(tool.name)
        self._goals = {tool.name: self._fill(tool, text, {})} if root != tool.name else {}
        return self._attempt(self._by_name[root], text, {})

    def _root(self, name: str) -> str:
        """Walk back over ordering rules to the step to (re)run first.

        A prerequisite that already ran is not run again, unless the rule depends on what it found
        ("only after X found nothing"): that answer may have changed.
        """
        seen = {name}
        while True:
            rule = self.instruction.rule(name)
            before = next((dep for dep in rule.after
                           if dep not in seen and (dep not in self._outputs or dep in rule.needs_empty)), None)
            if before is None:
                return name
            seen.add(before)
            name = before

    def _attempt(self, tool: Tool, text: str, args: dict[str, Any], depth: int = 0) -> Reply:
        """Call ``tool`` if every required argument is known; else ask for the first missing one."""
        args = self._fill(tool, text, {**self._goals.pop(tool.name, {}), **args})
        for name in tool.required:
            if name in args:
                continue
            param = tool.param(name) or Param(name)
            source = self._source_of(tool, param)
            options = self._options_from(source, param) if source else []
            if source and not options and source not in self._outputs and depth < len(self.tools):
                # The value comes from another tool that has not run yet: that one first.
                self._goals[tool.name] = args
                first = self._attempt(self._by_name[source], text, {}, depth + 1)
                return Reply(_joined("I need a few details first." if not first.tool_calls else "", first.text),
                             first.tool_calls)
            self._ask = _Ask(tool.name, name, args, options)
            return Reply(options_question(options) if options else question_for(param))
        return self._call(tool, args)

    def _call(self, tool: Tool, args: dict[str, Any]) -> Reply:
        self._counter += 1
        call_id = self._call_ids() if self._call_ids else f"call-{self._counter}"
        self._pending[call_id] = {"name": tool.name, "args": args}
        if tool.name.startswith(TRANSFER_PREFIX):
            text = f"I'll connect you with {_agent_name(tool.name)} now."  # the one sentence a handoff asks for
        elif tool.blocking:
            text = "One moment."
        else:
            text = "I've started that and will tell you when it's done."
        return Reply(text, (ToolCall(call_id, tool.name, args, tool.blocking),))

    def _fill(self, tool: Tool, text: str, args: dict[str, Any]) -> dict[str, Any]:
        """Arguments from earlier results, from these words, then typed facts said in earlier turns."""
        free = [p for p in tool.params if kind_of(p) == "string" and not self._source_of(tool, p)]
        cues = self._vocabulary.strong[tool.name] if len(free) == 1 else frozenset()
        transfer = tool.name.startswith(TRANSFER_PREFIX)
        for param in tool.params:
            if param.name in args:
                continue
            if transfer and param.name == "reason" and kind_of(param) == "string" and text:
                args[param.name] = text  # why the user is passed on: their own words, for the next agent
                continue
            value = self._from_outputs(tool, param)
            if value is None and param.name in self._carried:
                found = extract(param, self._carried[param.name], asked=True)
                value = found.value if found else self._carried[param.name]
            if value is None and text:
                found = extract(param, text, cues=cues if param in free else frozenset())
                value = found.value if found else None
            if value is None and kind_of(param) in _EARLIER_KINDS:
                earlier = (extract(param, said) for said in reversed(self._heard))
                value = next((f.value for f in earlier if f is not None and f.typed), None)
            if value is not None:
                args[param.name] = value
        return args

    def _source_of(self, tool: Tool, param: Param) -> str | None:
        """The tool a parameter's description says the value comes from ("The id returned by x")."""
        return next((other.name for other in self.tools
                     if other.name != tool.name and re.search(rf"\b{re.escape(other.name)}\b", param.description)),
                    None)

    def _from_outputs(self, tool: Tool, param: Param) -> Any:
        """A value a tool returned under the parameter's own name (ids are matched from any tool)."""
        source = self._source_of(tool, param)
        names = [source] if source else (list(reversed(self._outputs)) if param.name.lower().endswith("id") else [])
        for name in names:
            output = self._outputs.get(name)
            if isinstance(output, Mapping) and output.get(param.name) is not None:
                return output[param.name]
        return None

    def _options_from(self, source: str, param: Param) -> list[Any]:
        """The choices a source returned for this parameter: its first list of plain values."""
        output = self._outputs.get(source)
        if not isinstance(output, Mapping) or param.name in output:
            return []
        for value in output.values():
            if isinstance(value, list) and value and all(not isinstance(v, Mapping | list) for v in value):
                return list(value)
        return []

    def _offered_fields(self, output: Any) -> list[str]:
        """Fields of a result the pending question offers as choices: said once, in the question."""
        if self._ask is None or not self._ask.options or not isinstance(output, Mapping):
            return []
        return [key for key, value in output.items() if value == self._ask.options]

    # ---- after results ---------------------------------------------------------------------

    def _take_pending(self, result: Mapping[str, Any]) -> dict[str, Any] | None:
        call_id = result.get("id")
        if call_id:
            return self._pending.pop(str(call_id), None)
        by_name = [k for k, call in self._pending.items() if call["name"] == result.get("name")]
        return self._pending.pop(by_name[0]) if by_name else None  # Vertex may leave the id out

    def _continue_after(self, done: str) -> Reply:
        """The step the instruction orders after ``done``, else the call that was waiting for it."""
        candidates = [tool for tool in self.tools
                      if done in self.instruction.rule(tool.name).after and self._allowed(tool.name)]
        candidates.sort(key=lambda tool: tool.name not in self._goals)
        if candidates:
            return self._attempt(candidates[0], "", {})
        blocked = any(done in self.instruction.rule(t.name).after for t in self.tools)
        if blocked:
            self._goals = {}  # "only after X found nothing", and X found something: stop here
        if self._goals:
            return self._attempt(self._by_name[next(reversed(self._goals))], "", {})
        return Reply()

    def _allowed(self, name: str) -> bool:
        rule = self.instruction.rule(name)
        return all(dep in self._outputs for dep in rule.after) and all(
            _is_empty(self._outputs[dep]) for dep in rule.needs_empty)

    def _retry_question(self, call: Mapping[str, Any], message: str) -> str:
        """After an error that names an argument, ask for that argument again."""
        tool = self._by_name.get(str(call["name"]))
        if tool is None:
            return ""
        low = message.lower()
        for param in tool.params:
            if param.name.lower() in low or " ".join(param.name.lower().split("_")) in low:
                args = {k: v for k, v in dict(call["args"]).items() if k != param.name}
                self._ask = _Ask(tool.name, param.name, args)
                return question_for(param)
        self._goals = {}
        return ""

    # ---- answers and small talk -------------------------------------------------------------

    def _answer(self, text: str) -> Reply | None:
        """The user's answer to the pending question, or None when it answers nothing."""
        ask = self._ask
        assert ask is not None
        tool = self._by_name[ask.tool]
        param = tool.param(ask.param) or Param(ask.param)
        if _CANCEL.search(text) or (ask.options and set(lower_tokens(text)) & NO):
            self._ask, self._goals = None, {}
            return Reply("All right, I'll leave that for now.")
        if ask.options:
            value = pick_option(text, ask.options)
        else:
            free = kind_of(param) in {"string", "person_name"} and is_question(text)
            found = None if free else extract(param, text, asked=True)
            value = found.value if found else None
        if value is None:
            return None
        self._ask = None
        return self._attempt(tool, text, {**ask.args, param.name: value})

    def _reask(self) -> str:
        if self._ask is None:
            return ""
        if self._ask.options:
            return options_question(self._ask.options)
        tool = self._by_name[self._ask.tool]
        return question_for(tool.param(self._ask.param) or Param(self._ask.param))

    def _names_thing(self, tool: Tool, asked: str) -> bool:
        """Does the tool's name carry the thing asked about ("where is my order" -> check_order)?"""
        head = [w for w in asked.split() if w not in STOPWORDS]
        return bool(head) and stem(head[-1]) in content_stems(tool.name)

    @staticmethod
    def _search_query(text: str) -> str | None:
        """A question, or a request to search or look something up: the words to search for."""
        asked = _SEARCH_REQUEST.search(text)
        if asked:
            return asked.group(1).strip(" .?!") or None
        if not is_question(text) or _BYE.search(text):
            return None
        question = (sentences(text) or [text])[-1].strip(" .?!")
        return (question[:1].lower() + question[1:]) or None

    def _small_talk(self, text: str, learned: list[Fact]) -> str:
        if learned:
            told = [fact.told() for fact in learned]
            return f"Got it: {'; '.join(told)}."
        if _THANKS.match(text):
            return "You're welcome."
        if _BYE.search(text):
            return "Goodbye!"
        said = reflect(sentences(text)[0] if sentences(text) else text)
        said = " ".join(said.split()[:25])
        first, _, rest = said.partition(" ")
        if first.lower() in STOPWORDS or first.lower() in {"what", "how", "why"}:
            said = f"{first.lower()} {rest}".strip()
        if is_question(text):
            return f"You asked {said}. I can't answer that here, but I'm listening."
        return f"You said {said}. Tell me more."
