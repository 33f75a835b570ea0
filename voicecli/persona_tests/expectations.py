"""Check one run against its case: every failed expectation says which one, what was expected and what happened.

Pure: a RunRecord and what the persona declares in, a list of failures out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from voicecli.persona.language import language_name, primary_language
from voicecli.persona_tests.language_id import identify
from voicecli.persona_tests.loader import TestCase
from voicecli.persona_tests.matching import call_mismatch
from voicecli.persona_tests.model import ToolChecks, ToolExpect, TurnExpect
from voicecli.persona_tests.record import TIMEOUT_EXIT_CODE, AgentTurn, RunRecord, ToolCall

GREETING_WORDS = r"hi|hello|hey|hiya|howdy|welcome|greetings|good (?:morning|afternoon|evening)"
GREETING_SPAN = 120  # a greeting opens a turn: only its first characters are looked at
QUOTE_LIMIT = 90


@dataclass(frozen=True)
class Failure:
    expectation: str  # e.g. "tools_in_order", "turns[2].contains"
    message: str  # what was expected, and what happened instead
    line: int | None = None  # the transcript line it points at (RunRecord.lines index)


@dataclass(frozen=True)
class PersonaFacts:
    """What the checks need to know of the persona under test."""

    name: str
    language: str | None
    output_languages: tuple[str, ...]
    tools: tuple[str, ...]


def check_run(case: TestCase, record: RunRecord, persona: PersonaFacts) -> list[Failure]:
    """Every expectation of ``case`` that ``record`` does not meet."""
    failures = _undeclared(case, record, persona)
    script_done = len(record.user_turns) >= len(case.turns)
    outcome = _outcome(case, record)
    if not record.started:
        return failures + outcome  # nothing was said: any other check would only repeat the error
    if not script_done:
        failures += outcome  # the run stopped early: that explains whatever else is missing
    failures += _case_checks(case, record, persona)
    for index, turn in enumerate(case.turns):
        if turn.expect is not None and index < len(record.user_turns):
            failures += _turn_checks(f"turns[{index}]", index + 1, turn.expect, record, persona)
    if script_done:
        failures += outcome
    return failures


def p95(values: Iterable[float]) -> float | None:
    """Nearest-rank 95th percentile; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --- the run as a whole --------------------------------------------------------------------


def _undeclared(case: TestCase, record: RunRecord, persona: PersonaFacts) -> list[Failure]:
    """Calls of, and expectations about, tools the persona does not declare: the likeliest cause of the rest."""
    failures: list[Failure] = []
    declared = set(persona.tools)
    named = {expect.name for expect in _all_tool_expects(case)}
    named |= set(case.expect.tools_not_called)
    for name in sorted(named - declared):
        called = next((call.line for call in record.calls if call.name == name), None)
        failures.append(Failure("tools", f"the test names {name}, which the persona does not declare "
                                         f"({_declared_list(persona)})", called))
    reported = set(named - declared)
    for call in record.calls:
        if call.name not in declared and call.name not in reported:
            reported.add(call.name)
            failures.append(Failure("tools", f"the agent called {call.name}, which the persona does not declare "
                                             f"({_declared_list(persona)})", call.line))
    return failures


def _all_tool_expects(case: TestCase) -> list[ToolExpect]:
    checks: list[ToolChecks] = [case.expect, *(turn.expect for turn in case.turns if turn.expect is not None)]
    return [expect for check in checks for expect in (*check.tools_in_order, *check.tools_as_set)]


def _declared_list(persona: PersonaFacts) -> str:
    return f"it declares {', '.join(persona.tools)}" if persona.tools else "it declares no tools"


def _outcome(case: TestCase, record: RunRecord) -> list[Failure]:
    last = len(record.lines) - 1 if record.lines else None
    within = case.expect.within_s
    if record.exit_code == TIMEOUT_EXIT_CODE:
        if within is not None:
            return [Failure("within_s", f"the run did not end within {within:g} s", last)]
        return [Failure("run", f"the run did not end within its {case.timeout_s:g} s timeout", last)]
    if not record.finished:
        code = "" if record.exit_code is None else f" (exit {record.exit_code})"
        return [Failure("run", f"the run ended with an error{code}: {record.error or 'no message'}", last)]
    if within is not None and record.duration_s is not None and record.duration_s > within:
        return [Failure("within_s", f"the run took {record.duration_s:g} s, more than {within:g} s", last)]
    return []


def _case_checks(case: TestCase, record: RunRecord, persona: PersonaFacts) -> list[Failure]:
    expect = case.expect
    failures = _tool_checks("", expect, record.calls, record)
    failures += _text_checks("", expect, record.agent_turns, record)
    if expect.language is not None:
        failures += _language("language", expect.language, record.agent_turns, persona)
    if expect.handoff is not None:
        failures += _handoff(expect.handoff, record)
    if expect.greetings is not None:
        failures += _greetings(expect.greetings, expect.greeting_pattern, record, persona)
    if expect.max_agent_turns is not None and len(record.agent_turns) > expect.max_agent_turns:
        last = record.agent_turns[-1].line
        failures.append(Failure("max_agent_turns", f"{len(record.agent_turns)} agent turns, at most "
                                                   f"{expect.max_agent_turns} expected", last))
    if expect.latency_p95_ms is not None:
        failures += _latency(expect.latency_p95_ms, record)
    if expect.no_tool_failures:
        failed = [call for call in record.calls if call.ok is False]
        if failed:
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            failures.append(Failure("no_tool_failures", f"{failed[0].name} failed: {failed[0].error_text()}{more}",
                                    failed[0].line))
    return failures


def _turn_checks(name: str, number: int, expect: TurnExpect, record: RunRecord,
                 persona: PersonaFacts) -> list[Failure]:
    replies = record.replies_to(number)
    calls = record.calls_for(number)
    failures = _tool_checks(f"{name}.", expect, calls, record)
    failures += _text_checks(f"{name}.", expect, replies, record, number)
    if expect.language is not None:
        failures += _language(f"{name}.language", expect.language, replies, persona)
    if expect.no_tools and calls:
        failures.append(Failure(f"{name}.no_tools", f"expected no tool call in reply to turn {number}, got "
                                                   f"{call_text(calls[0])}", calls[0].line))
    if expect.interrupted is not None:
        failures += _interrupted(f"{name}.interrupted", number, expect.interrupted, record)
    return failures


# --- tools -----------------------------------------------------------------------------------


def _tool_checks(prefix: str, expect: ToolChecks, calls: list[ToolCall], record: RunRecord) -> list[Failure]:
    failures: list[Failure] = []
    if expect.tools_in_order:
        failures += _in_order(f"{prefix}tools_in_order", expect.tools_in_order, calls, record)
    if expect.tools_as_set:
        failures += _as_set(f"{prefix}tools_as_set", expect.tools_as_set, calls, record)
    for name in expect.tools_not_called:
        called = [call for call in calls if call.name == name]
        if called:
            failures.append(Failure(f"{prefix}tools_not_called", f"{name} was called (agent turn "
                                    f"{called[0].agent_turn}: {call_text(called[0])}); it must not be",
                                    called[0].line))
    return failures


def _in_order(name: str, expects: list[ToolExpect], calls: list[ToolCall], record: RunRecord) -> list[Failure]:
    position = 0
    previous: ToolExpect | None = None
    for expect in expects:
        found = next((index for index in range(position, len(calls))
                      if call_mismatch(expect, calls[index]) is None), None)
        if found is None:
            message, line = _why_missing(expect, calls, position, previous)
            return [Failure(name, message, line if line is not None else _last_line(record))]
        position, previous = found + 1, expect
    return []


def _as_set(name: str, expects: list[ToolExpect], calls: list[ToolCall], record: RunRecord) -> list[Failure]:
    taken: dict[int, int] = {}  # call index -> expectation index

    def place(index: int, seen: set[int]) -> bool:
        # Augmenting paths: each expectation gets a call of its own.
        for call_index, call in enumerate(calls):
            if call_index in seen or call_mismatch(expects[index], call) is not None:
                continue
            seen.add(call_index)
            if call_index not in taken or place(taken[call_index], seen):
                taken[call_index] = index
                return True
        return False

    for index, expect in enumerate(expects):
        if not place(index, set()):
            matching = [call for call in calls if call_mismatch(expect, call) is None]
            if matching:  # it matches calls, but other entries took them
                return [Failure(name, f"each entry needs a call of its own, and none is left for {expect.name} "
                                      f"({len(matching)} matching call{'s' if len(matching) > 1 else ''})",
                                matching[-1].line)]
            message, line = _why_missing(expect, calls, 0, None)
            return [Failure(name, message, line if line is not None else _last_line(record))]
    return []


def _why_missing(expect: ToolExpect, calls: list[ToolCall], position: int,
                 previous: ToolExpect | None) -> tuple[str, int | None]:
    same_name = [call for call in calls[position:] if call.name == expect.name]
    if same_name:
        call = same_name[0]
        reason = call_mismatch(expect, call)
        return f"{expect.name} was called, but {reason}: {call_text(call)}", call.line
    earlier = [call for call in calls[:position] if call.name == expect.name]
    if earlier and previous is not None:
        return (f"{expect.name} was called only before {previous.name}, not after it "
                f"(calls in order: {_names(calls)})", earlier[0].line)
    return f"{expect.name} was never called (calls: {_names(calls) or 'none'})", None


def _handoff(target: str, record: RunRecord) -> list[Failure]:
    wanted = _slug(target)
    for call in record.calls:
        name = _slug(call.name)
        if name in {f"handoff_to_{wanted}", f"transfer_to_{wanted}"}:
            return []
        if ("handoff" in name or "transfer" in name) and wanted in {_slug(text) for text in _texts(call.args)}:
            return []
    return [Failure("handoff", f"no handoff to {target} (calls: {_names(record.calls) or 'none'})",
                    _last_line(record))]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


# --- what the agent said -----------------------------------------------------------------------


def _text_checks(prefix: str, expect: ToolChecks, turns: list[AgentTurn], record: RunRecord,
                 user_turn: int | None = None) -> list[Failure]:
    failures: list[Failure] = []
    spoken = [turn for turn in turns if turn.text]
    scope = "the agent's lines" if user_turn is None else f"the reply to turn {user_turn}"
    for pattern in expect.contains:
        if not any(re.search(pattern, turn.text) for turn in spoken):
            said = f'; it said: "{_quote(spoken[-1].text)}"' if spoken else "; the agent said nothing"
            line = spoken[-1].line if spoken else _last_line(record)
            failures.append(Failure(f"{prefix}contains", f"/{pattern}/ is not in {scope}{said}", line))
    for pattern in expect.not_contains:
        for turn in spoken:
            match = re.search(pattern, turn.text)
            if match:
                failures.append(Failure(f"{prefix}not_contains", f"agent turn {turn.number} says "
                                        f"{match.group(0)!r} (/{pattern}/): \"{_quote(turn.text)}\"", turn.line))
                break
    return failures


def _language(name: str, tag: str, turns: list[AgentTurn], persona: PersonaFacts) -> list[Failure]:
    wanted = primary_language(tag)
    failures: list[Failure] = []
    # The emulator's scenarios speak whatever they were scripted to: the setup is where a wrong language shows.
    configured = [("persona.language", persona.language)] if persona.language else []
    configured += [("session.output_transcription_languages", code) for code in persona.output_languages]
    for field_name, code in configured:
        if primary_language(code) != wanted:
            failures.append(Failure(name, f"the persona is set to speak {code} ({field_name}), "
                                          f"not {language_name(tag)}"))
            break
    wrong = [(turn, found) for turn in turns for found in [identify(turn.text)] if found not in {None, wanted}]
    if wrong:
        turn, found = wrong[0]
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        failures.append(Failure(name, f"agent turn {turn.number} is in {language_name(found or '')}, not "
                                      f"{language_name(tag)}{more}: \"{_quote(turn.text)}\"", turn.line))
    return failures


def _greetings(expected: int, pattern: str | None, record: RunRecord, persona: PersonaFacts) -> list[Failure]:
    regex = re.compile(pattern) if pattern is not None else _greeting_regex(persona.name)
    greeting = [turn for turn in record.agent_turns if regex.search(turn.text[:GREETING_SPAN])]
    if len(greeting) == expected:
        return []
    shown = ", ".join(f'{turn.number} ("{_quote(turn.text, 40)}")' for turn in greeting[:3])
    which = f": agent turn{'s' if len(greeting) > 1 else ''} {shown}" if greeting else ""
    line = greeting[expected].line if len(greeting) > expected else _last_line(record)
    return [Failure("greetings", f"expected exactly {expected} greeting{'s' if expected != 1 else ''}, got "
                                 f"{len(greeting)}{which}", line)]


def _greeting_regex(name: str) -> re.Pattern[str]:
    who = re.escape(name)
    return re.compile(rf"(?i)^\W*(?:{GREETING_WORDS})\b|\b(?:I'm|I am|this is|my name is) {who}\b")


def _latency(budget_ms: float, record: RunRecord) -> list[Failure]:
    measured = record.latencies_ms
    value = p95(measured)
    if value is None:
        return [Failure("latency_p95_ms", "no reply latency was measured (no user turn was answered)",
                        _last_line(record))]
    if value <= budget_ms:
        return []
    slowest = max((turn for turn in record.agent_turns if turn.latency_ms is not None),
                  key=lambda turn: turn.latency_ms or 0.0)
    return [Failure("latency_p95_ms", f"p95 reply latency {value:.0f} ms, over the {budget_ms:g} ms budget "
                                      f"(slowest: agent turn {slowest.number}, {slowest.latency_ms:.0f} ms)",
                    slowest.line)]


def _interrupted(name: str, number: int, expected: bool, record: RunRecord) -> list[Failure]:
    turn = record.user_turns[number - 1]
    cut = turn.cut_off
    if expected and cut is None:
        return [Failure(name, f"the agent was not speaking when turn {number} began (its reply had ended)",
                        turn.line)]
    if expected and cut is not None and not cut.interrupted:
        return [Failure(name, f"the agent was speaking when turn {number} began but was not interrupted: "
                              f"\"{_quote(cut.text)}\"", cut.line)]
    if not expected and cut is not None and cut.interrupted:
        return [Failure(name, f"turn {number} cut the agent off: \"{_quote(cut.text)}\"", cut.line)]
    return []


# --- wording ----------------------------------------------------------------------------------


def call_text(call: ToolCall) -> str:
    args = call.args if isinstance(call.args, dict) else {}
    inner = ", ".join(f"{key}={value!r}" for key, value in args.items())
    return f"{call.name}({_quote(inner, 100)})"


def _names(calls: list[ToolCall]) -> str:
    return ", ".join(call.name for call in calls)


def _quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _last_line(record: RunRecord) -> int | None:
    return len(record.lines) - 1 if record.lines else None
