"""Test files: Laura's loads with its defaults applied; every broken file gets file:line messages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.persona_tests.conftest import CaseFiles
from voicecli.errors import UsageError
from voicecli.persona_tests.loader import InvalidTests, find_test_files, load_suite
from voicecli.persona_tests.model import ToolExpect, render_document_schema

ROOT = Path(__file__).resolve().parents[2]
LAURA_TESTS = ROOT / "personas" / "laura.test.yaml"
SCHEMA_DOC = ROOT / "docs" / "persona-test.schema.json"


def test_laura_tests_load_with_defaults_applied() -> None:
    suite = load_suite(LAURA_TESTS)
    assert suite.persona_path == ROOT / "personas" / "laura.yaml"
    assert [case.name for case in suite.cases] == [
        "whole workflow", "off-topic question", "tool error", "barge-in during the greeting",
        "Spanish speaker, English-only coach",
    ]
    workflow, _, tool_error, barge_in, _ = suite.cases
    assert (workflow.repeat, workflow.pass_rate, workflow.timeout_s) == (1, 0.8, 90)
    assert workflow.env == {"VOICECLI_LAURA_DB": "{run_dir}/laura.sqlite3"}
    assert tool_error.env == {"VOICECLI_LAURA_DB": "{run_dir}"}  # the case's own value wins
    assert barge_in.turns[0].barge_in_ms == 400
    assert workflow.scenario is None and workflow.greeting
    assert [expect.name for expect in workflow.expect.tools_in_order][0] == "create_client_profile"


def test_schema_doc_is_in_sync_with_the_model() -> None:
    if os.environ.get("VOICECLI_UPDATE_SNAPSHOTS") == "1":
        SCHEMA_DOC.write_text(render_document_schema(), encoding="utf-8")
    assert SCHEMA_DOC.read_text(encoding="utf-8") == render_document_schema(), (
        "docs/persona-test.schema.json changed; rerun with VOICECLI_UPDATE_SNAPSHOTS=1"
    )


def test_a_bare_tool_name_matches_any_call_of_it(files: CaseFiles) -> None:
    case = files.case("""
        cases:
          - name: one
            expect: {tools_in_order: [lookup, {name: book, args: {day: monday}}]}
    """)
    assert case.expect.tools_in_order == [ToolExpect(name="lookup"), ToolExpect(name="book", args={"day": "monday"})]


def _problems(files: CaseFiles, text: str) -> str:
    with pytest.raises(InvalidTests) as caught:
        load_suite(files.write(text))
    assert caught.value.exit_code == 2
    return caught.value.message


def test_every_problem_is_reported_at_once_with_file_and_line(files: CaseFiles) -> None:
    message = _problems(files, """
        cases:
          - name: one
            turns:
              - say: hello
                text: hello
              - sya: typo
          - description: no name
            expect:
              contains: "(unclosed"
              latency_p95_ms: -5
    """)
    path = files.folder / "kim.test.yaml"
    assert message.startswith(f"{path} is not a valid test file:")
    assert f"{path}:5: cases[0].turns[0]: a turn needs exactly one of say, text or input (got say, text)" in message
    assert f"{path}:7: cases[0].turns[1].sya: unknown key 'sya' (did you mean 'say'?)" in message
    assert f"{path}:8: cases[1]: missing required key 'name'" in message
    assert f"{path}:10: cases[1].expect.contains: " in message and "not a valid regular expression" in message
    assert f"{path}:11: cases[1].expect.latency_p95_ms: " in message


def test_a_single_problem_is_one_line(files: CaseFiles) -> None:
    message = _problems(files, """
        cases:
          - name: one
            expect: {language: "english please"}
    """)
    assert "\n" not in message
    assert message.endswith("cases[0].expect.language: 'english please' is not a BCP-47 language tag such as en "
                            "or en-US")


@pytest.mark.parametrize(("text", "expected"), [
    ("", ":1: the file is empty; it needs a 'cases' list"),
    ("cases: [\n", "is not valid YAML"),
    ("cases: []\n", "cases: List should have at least 1 item"),
    ("cases:\n  - {name: a}\n  - {name: a}\n", "two cases are named 'a'"),
    ("cases:\n  - name: a\n    turns: [{input: missing.wav}]\n", "turns[0].input: no such WAV file"),
    ("cases:\n  - name: a\n    scenario: nowhere.scenario.yaml\n", "cases[0].scenario: no such scenario file"),
    ("defaults: {scenario: gone.yaml}\ncases:\n  - name: a\n", "defaults.scenario: no such scenario file"),
    ("cases:\n  - name: a\n    greeting: false\n    turns: [{say: hi, barge_in_ms: 100}]\n",
     "the first turn barges in, but without a greeting"),
    ("cases:\n  - name: a\n    expect:\n      tools_in_order:\n        - name: x\n          args_match: pattern\n"
     "          args: {y: '[z'}\n", "'[z' is not a valid regular expression"),
])
def test_broken_files_name_the_problem(files: CaseFiles, text: str, expected: str) -> None:
    assert expected in _problems(files, text)


def test_scenario_none_and_a_named_scenario(files: CaseFiles) -> None:
    (files.folder / "other.scenario.yaml").write_text("name: other\nsteps: []\n", encoding="utf-8")
    suite = load_suite(files.write("""
        defaults: {scenario: none}
        cases:
          - name: default
          - name: named
            scenario: other.scenario.yaml
    """))
    assert suite.cases[0].scenario == "none"
    assert suite.cases[1].scenario == files.folder / "other.scenario.yaml"


def test_targets_are_test_files_folders_or_personas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_test_files([str(ROOT / "personas")]) == [ROOT / "personas" / "front_desk.test.yaml", LAURA_TESTS]
    assert find_test_files([str(ROOT / "personas" / "laura.yaml")]) == [LAURA_TESTS]
    monkeypatch.chdir(ROOT)
    found = find_test_files(["laura", str(LAURA_TESTS)])
    assert [path.resolve() for path in found] == [LAURA_TESTS]  # a file named twice runs once
    with pytest.raises(UsageError, match=r"no test files \(\*\.test\.yaml\) in this folder"):
        find_test_files([str(tmp_path)])
    (tmp_path / "kim.yaml").write_text("persona: {name: Kim}\n", encoding="utf-8")
    with pytest.raises(UsageError, match="no tests for .*kim.yaml: expected .*kim.test.yaml"):
        find_test_files([str(tmp_path / "kim.yaml")])
