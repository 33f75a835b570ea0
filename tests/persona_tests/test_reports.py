"""The three outputs of a test run: the table with failure context, the --json document, JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rich.console import Console

from tests.persona_tests.conftest import LAURA_FACTS, CaseFiles, Stream
from voicecli.persona_tests.expectations import check_run
from voicecli.persona_tests.junit import junit_xml
from voicecli.persona_tests.loader import load_suite
from voicecli.persona_tests.report import all_passed, headline, results_document
from voicecli.persona_tests.runner import CaseResult, RunResult
from voicecli.ui.test_view import render_results

SUITE = """
    cases:
      - name: books a slot
        repeat: 2
        pass_rate: 0.5
        turns: [{say: Book me in.}]
        expect: {tools_in_order: [get_next_appointment, schedule_appointment]}
      - name: greets once
        expect: {greetings: 1}
"""


def _results(files: CaseFiles) -> list[CaseResult]:
    suite = load_suite(files.write(SUITE))
    booking, greeting = suite.cases
    good = (Stream().agent("Hi, I'm Laura.").user("Book me in.").agent("Checking.", complete=False)
            .call("get_next_appointment").call("schedule_appointment").agent("Checking. Booked.", latency_ms=500)
            .record())
    bad = (Stream().agent("Hi, I'm Laura.").user("Book me in.").agent("Checking.", complete=False)
           .call("get_next_appointment").agent("Checking. Nothing is free.", latency_ms=700).record())
    twice = Stream().agent("Hi, I'm Laura.").user("hello").agent("Hello again, I'm Laura!").record()
    runs = [RunResult(booking, number, record, check_run(booking, record, LAURA_FACTS))
            for number, record in ((1, good), (2, bad))]
    greet = [RunResult(greeting, 1, twice, check_run(greeting, twice, LAURA_FACTS))]
    return [CaseResult(suite, booking, runs), CaseResult(suite, greeting, greet)]


def test_thresholds_and_headlines(files: CaseFiles) -> None:
    booking, greeting = _results(files)
    assert (booking.passed_runs, booking.needed, booking.passed_case) == (1, 1, True)
    assert booking.p95_ms == 700
    assert not greeting.passed_case and not all_passed([booking, greeting])
    assert headline(greeting).startswith("greetings: expected exactly 1 greeting, got 2")
    assert headline(booking) == ("tools_in_order: schedule_appointment was never called (calls: "
                                 "get_next_appointment) (1 of 2 runs)")


def test_the_table_and_the_lines_around_each_failure(files: CaseFiles) -> None:
    console = Console(width=100, record=True, color_system=None, force_terminal=False, soft_wrap=True)
    render_results(_results(files), console)
    text = console.export_text()
    lines = text.splitlines()
    assert lines[0].split() == ["case", "runs", "passed", "p95", "result"]
    assert lines[1].split()[:6] == ["books", "a", "slot", "2", "1/1", "700"]
    assert lines[1].split()[-1] == "ok"
    assert lines[2].startswith("greets once") and "FAIL greetings: expected exactly 1 greeting" in lines[2]
    assert "FAIL greets once  kim.test.yaml:8  0 of 1 runs passed, 1 needed" in text.replace(
        str(files.folder) + "/", "")
    assert "  run 1: greetings: expected exactly 1 greeting, got 2: agent turns 1" in text
    assert "      agent Hi, I'm Laura.\n      user  hello\n    > agent Hello again, I'm Laura!" in text
    assert text.rstrip().endswith("1 of 2 cases failed (3 runs)")
    assert "schedule_appointment" not in text.split("books a slot")[1].split("\n")[0]  # a passing case shows ok


def test_json_document(files: CaseFiles) -> None:
    document = results_document(_results(files), offline=True)
    assert document["passed"] is False and document["offline"] is True
    booking, greeting = document["cases"]
    assert {key: booking[key] for key in ("name", "passed", "runs", "passed_runs", "needed", "p95_latency_ms")} == {
        "name": "books a slot", "passed": True, "runs": 2, "passed_runs": 1, "needed": 1, "p95_latency_ms": 700.0}
    failure = booking["results"][1]["failures"][0]
    assert failure["expectation"] == "tools_in_order"
    assert failure["message"].startswith("schedule_appointment was never called")
    assert failure["context"][-1] == {"role": "agent", "text": "Nothing is free.", "at": True}
    assert greeting["line"] == 8 and greeting["results"][0]["exit_code"] == 0


def test_junit_xml(files: CaseFiles) -> None:
    root = ET.fromstring(junit_xml(_results(files)))
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "2", "1")
    (suite,) = list(root)
    assert suite.get("name", "").endswith("kim.test.yaml")
    booking, greeting = list(suite)
    assert (booking.get("classname"), booking.get("name")) == ("kim", "books a slot")
    assert booking.find("failure") is None
    failure = greeting.find("failure")
    assert failure is not None
    assert (failure.get("message") or "").startswith("greetings: expected exactly 1 greeting, got 2")
    assert "> agent Hello again, I'm Laura!" in (failure.text or "")
    assert greeting.get("line") == "8"
