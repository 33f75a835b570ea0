"""Each expectation against hand-written event streams: it passes when met, and says the actual value when not."""

from __future__ import annotations

from tests.persona_tests.conftest import LAURA_FACTS, CaseFiles, Stream
from voicecli.persona_tests.expectations import Failure, check_run, p95
from voicecli.persona_tests.record import RunRecord

GREETING = "Hi, I'm Laura. What brings you here today?"
NAME = "My name is Ana Lopez, born March 3rd 1990, in Texas."


def _check(files: CaseFiles, case_yaml: str, record: RunRecord) -> list[Failure]:
    return check_run(files.case(case_yaml), record, LAURA_FACTS)


def _messages(failures: list[Failure]) -> list[str]:
    return [f"{failure.expectation}: {failure.message}" for failure in failures]


def _workflow(stream: Stream) -> RunRecord:
    return (stream.agent(GREETING)
            .user(NAME).agent("Thank you, Ana.", complete=False)
            .call("create_client_profile", {"full_name": "Ana Lopez", "date_of_birth": "1990-03-03", "state": "TX"})
            .agent("Thank you, Ana. Your profile is ready.", latency_ms=400)
            .user("Book me in.").agent("Let me check.", complete=False)
            .call("get_next_appointment", {"client_id": "cl_1"})
            .call("get_available_appointments", {"client_id": "cl_1"})
            .agent("Let me check. Monday at 9:30 works?", latency_ms=900)
            .record())


TWO_TURNS = """
    cases:
      - name: c
        turns: [{say: "My name is Ana Lopez, born March 3rd 1990, in Texas."}, {say: Book me in.}]
        expect:
          {expect}
"""


def _case(expect: str) -> str:
    return TWO_TURNS.replace("{expect}", expect)


def test_a_run_that_meets_everything_passes(files: CaseFiles, stream: Stream) -> None:
    case = """
        cases:
          - name: c
            turns:
              - say: "My name is Ana Lopez, born March 3rd 1990, in Texas."
                expect:
                  tools_in_order:
                    - {name: create_client_profile, args: {full_name: Ana Lopez}, ok: true}
                  language: en
              - say: Book me in.
                expect: {tools_as_set: [get_available_appointments, get_next_appointment], contains: Monday}
            expect:
              tools_in_order: [create_client_profile, get_next_appointment, get_available_appointments]
              tools_not_called: [schedule_appointment]
              contains: ["profile is ready", "(?i)monday"]
              not_contains: "(?i)sorry"
              language: en-US
              greetings: 1
              max_agent_turns: 3
              latency_p95_ms: 1000
              no_tool_failures: true
              within_s: 10
    """
    assert _check(files, case, _workflow(stream)) == []


def test_tools_in_order_says_what_was_called_instead(files: CaseFiles, stream: Stream) -> None:
    record = _workflow(stream)
    missing = _check(files, _case("tools_in_order: [create_client_profile, schedule_appointment]"), record)
    assert _messages(missing) == ["tools_in_order: schedule_appointment was never called (calls: "
                                  "create_client_profile, get_next_appointment, get_available_appointments)"]
    order = _check(files, _case("tools_in_order: [get_available_appointments, get_next_appointment]"), record)
    assert _messages(order) == ["tools_in_order: get_next_appointment was called only before "
                                "get_available_appointments, not after it (calls in order: create_client_profile, "
                                "get_next_appointment, get_available_appointments)"]
    assert order[0].line is not None and record.lines[order[0].line].text.startswith("get_next_appointment(")


def test_arguments_exactly_by_pattern_or_as_a_subset(files: CaseFiles, stream: Stream) -> None:
    record = _workflow(stream)
    profile = "tools_in_order: [{name: create_client_profile, args: %s, args_match: %s}]"
    subset_ok = profile % ("{state: TX}", "subset")
    wrong = profile % ("{date_of_birth: '1990-03-30'}", "subset")
    exact = profile % ("{full_name: Ana Lopez, state: TX}", "exact")
    pattern_ok = profile % ("{date_of_birth: '19\\d\\d-03-0\\d', state: '(?i)tx|texas'}", "pattern")
    pattern_bad = profile % ("{full_name: 'Maria.*'}", "pattern")
    assert _check(files, _case(subset_ok), record) == []
    assert _check(files, _case(pattern_ok), record) == []
    assert _messages(_check(files, _case(wrong), record)) == [
        "tools_in_order: create_client_profile was called, but args.date_of_birth: expected \"1990-03-30\", got "
        "\"1990-03-03\": create_client_profile(full_name='Ana Lopez', date_of_birth='1990-03-03', state='TX')"]
    assert "args.date_of_birth: not expected (exact match), got \"1990-03-03\"" in _messages(
        _check(files, _case(exact), record))[0]
    assert "args.full_name: \"Ana Lopez\" does not match /Maria.*/" in _messages(
        _check(files, _case(pattern_bad), record))[0]


def test_a_set_needs_a_call_for_each_entry(files: CaseFiles, stream: Stream) -> None:
    record = _workflow(stream)
    twice = _check(files, _case("tools_as_set: [get_next_appointment, get_next_appointment]"), record)
    assert _messages(twice) == ["tools_as_set: each entry needs a call of its own, and none is left for "
                                "get_next_appointment (1 matching call)"]
    absent = _check(files, _case("tools_as_set: [schedule_appointment]"), record)
    assert _messages(absent) == ["tools_as_set: schedule_appointment was never called (calls: create_client_profile, "
                                 "get_next_appointment, get_available_appointments)"]


def test_calls_that_must_not_happen(files: CaseFiles, stream: Stream) -> None:
    record = _workflow(stream)
    case = """
        cases:
          - name: c
            turns: [{say: x, expect: {no_tools: true}}, {say: y, expect: {tools_not_called: [get_next_appointment]}}]
            expect: {tools_not_called: [create_client_profile]}
    """
    assert _messages(_check(files, case, record)) == [
        "tools_not_called: create_client_profile was called (agent turn 2: create_client_profile(full_name='Ana "
        "Lopez', date_of_birth='1990-03-03', state='TX')); it must not be",
        "turns[0].no_tools: expected no tool call in reply to turn 1, got create_client_profile(full_name='Ana "
        "Lopez', date_of_birth='1990-03-03', state='TX')",
        "turns[1].tools_not_called: get_next_appointment was called (agent turn 3: "
        "get_next_appointment(client_id='cl_1')); it must not be",
    ]


def test_failed_calls(files: CaseFiles, stream: Stream) -> None:
    record = stream.agent(GREETING).user(NAME).call("create_client_profile", ok=False).agent("Sorry.").record(7)
    assert _check(files, _case("tools_in_order: [{name: create_client_profile, ok: false}]"), record) == []
    assert _messages(_check(files, _case("no_tool_failures: true"), record)) == [
        "no_tool_failures: create_client_profile failed: broken: it broke"]
    assert _messages(_check(files, _case("tools_in_order: [{name: create_client_profile, ok: true}]"), record)) == [
        "tools_in_order: create_client_profile was called, but it failed: broken: it broke: create_client_profile()"]


def test_undeclared_tools_come_first(files: CaseFiles, stream: Stream) -> None:
    record = stream.agent(GREETING).user(NAME).call("create_profile", ok=False).agent("Sorry.").record(7)
    failures = _messages(_check(files, _case("tools_in_order: [create_client_profil]"), record))
    assert failures[0].startswith("tools: the test names create_client_profil, which the persona does not declare "
                                  "(it declares create_client_profile, ")
    assert failures[1].startswith("tools: the agent called create_profile, which the persona does not declare")


def test_handoff_by_name_or_by_argument(files: CaseFiles) -> None:
    by_name = Stream().agent(GREETING).user(NAME).call("transfer_to_billing").agent("Over to billing.").record()
    by_arg = Stream().agent(GREETING).user(NAME).call("handoff", {"persona": "Billing"}).agent("Bye.").record()
    none = Stream().agent(GREETING).user(NAME).call("get_next_appointment").agent("Done.").record()
    case = _case("handoff: billing")
    assert [failure.expectation for failure in _check(files, case, by_name)] == ["tools"]  # undeclared, but handed
    assert _check(files, case, by_arg) == []
    assert _messages(_check(files, case, none)) == ["handoff: no handoff to billing (calls: get_next_appointment)"]


def test_what_the_agent_said(files: CaseFiles, stream: Stream) -> None:
    record = _workflow(stream)
    case = """
        cases:
          - name: c
            turns: [{say: x, expect: {contains: "(?i)monday"}}, {say: y}]
            expect: {contains: "(?i)goodbye", not_contains: "profile is \\\\w+"}
    """
    assert _messages(_check(files, case, record)) == [
        "contains: /(?i)goodbye/ is not in the agent's lines; it said: \"Let me check. Monday at 9:30 works?\"",
        "not_contains: agent turn 2 says 'profile is ready' (/profile is \\w+/): \"Thank you, Ana. Your profile is "
        "ready.\"",
        "turns[0].contains: /(?i)monday/ is not in the reply to turn 1; it said: \"Thank you, Ana. Your profile is "
        "ready.\"",
    ]


def test_language_of_the_lines_and_of_the_persona(files: CaseFiles, stream: Stream) -> None:
    record = stream.agent(GREETING).user("Hola").agent("Hola Ana, ¿en qué puedo ayudarte hoy?").record()
    assert _messages(_check(files, _case("language: en"), record)) == [
        "language: agent turn 2 is in Spanish, not English: \"Hola Ana, ¿en qué puedo ayudarte hoy?\""]
    spanish_laura = LAURA_FACTS.__class__("Laura", "es-ES", ("es-ES",), LAURA_FACTS.tools)
    english = Stream().agent(GREETING).user("Hi").agent("Good to meet you, what is on your mind?").record()
    assert _messages(check_run(files.case(_case("language: en")), english, spanish_laura)) == [
        "language: the persona is set to speak es-ES (persona.language), not English"]


def test_greetings_and_turn_count(files: CaseFiles, stream: Stream) -> None:
    record = stream.agent(GREETING).user(NAME).agent("Hello again! I'm Laura, your coach.").record()
    assert _messages(_check(files, _case("greetings: 1\n          max_agent_turns: 1"), record)) == [
        "greetings: expected exactly 1 greeting, got 2: agent turns 1 (\"Hi, I'm Laura. What brings you here tod…\"), "
        "2 (\"Hello again! I'm Laura, your coach.\")",
        "max_agent_turns: 2 agent turns, at most 1 expected",
    ]
    assert _check(files, _case("greetings: 2\n          greeting_pattern: '^(Hi|Hello)'"), record) == []


def test_latency_budget(files: CaseFiles, stream: Stream) -> None:
    record = _workflow(stream)
    assert _messages(_check(files, _case("latency_p95_ms: 500"), record)) == [
        "latency_p95_ms: p95 reply latency 900 ms, over the 500 ms budget (slowest: agent turn 3, 900 ms)"]
    silent = Stream().agent(GREETING).record()
    assert "no reply latency was measured" in _messages(_check(files, _case("latency_p95_ms: 500"), silent))[0]


def test_p95_is_the_nearest_rank() -> None:
    assert p95([]) is None
    assert p95([100.0]) == 100.0
    assert p95([float(value) for value in range(1, 21)]) == 19.0
    assert p95([float(value) for value in range(1, 101)]) == 95.0


def test_barge_in_expectations(files: CaseFiles) -> None:
    case = """
        cases:
          - name: c
            turns: [{say: "stop", barge_in_ms: 300, expect: {interrupted: true}}]
    """
    cut = Stream().agent("Hi, I'm", complete=False).user("stop").interrupted().complete().agent("Sure.").record()
    assert _check(files, case, cut) == []
    finished = Stream().agent(GREETING).user("stop").agent("Sure.").record()
    assert _messages(_check(files, case, finished)) == [
        "turns[0].interrupted: the agent was not speaking when turn 1 began (its reply had ended)"]
    talked_over = Stream().agent("Hi, I'm", complete=False).user("stop").agent("Hi, I'm Laura.").record()
    assert _messages(_check(files, case, talked_over)) == [
        "turns[0].interrupted: the agent was speaking when turn 1 began but was not interrupted: \"Hi, I'm Laura.\""]


def test_how_the_run_ended(files: CaseFiles, stream: Stream) -> None:
    record = stream.agent(GREETING).user(NAME).error("The Live service refused the session (1008): boom", 6).record(6)
    assert _messages(_check(files, _case("greetings: 1"), record)) == [
        "run: the run ended with an error (exit 6): The Live service refused the session (1008): boom"]
    timed_out = Stream().agent(GREETING).user(NAME).record(5, duration_s=30)
    assert _messages(_check(files, _case("within_s: 30"), timed_out)) == ["within_s: the run did not end within 30 s"]
    assert _messages(_check(files, _case("greetings: 1"), timed_out))[0] == (
        "run: the run did not end within its 120 s timeout")
    slow = Stream().agent(GREETING).user(NAME).agent("ok").user("Book me in.").agent("ok").record(duration_s=12.5)
    assert _messages(_check(files, _case("within_s: 10"), slow)) == ["within_s: the run took 12.5 s, more than 10 s"]
    never = Stream()
    never.events.clear()
    assert _messages(_check(files, _case("greetings: 1"), never.error("No credentials.", 4).record(4))) == [
        "run: the run ended with an error (exit 4): No credentials."]


def test_a_run_that_stopped_early_leads_with_its_error(files: CaseFiles, stream: Stream) -> None:
    record = stream.agent(GREETING).user(NAME).agent("Hm.").error("closed (1008)", 6).record(6)
    failures = _messages(_check(files, _case("tools_in_order: [create_client_profile]"), record))
    assert failures[0].startswith("run: the run ended with an error (exit 6)")
    assert failures[1].startswith("tools_in_order: create_client_profile was never called")
