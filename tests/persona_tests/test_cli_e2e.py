"""``voicecli test`` through the real CLI: Laura's tests pass offline, broken copies of Laura fail naming the
cause, the real-service path runs against an emulator in another process, bad input exits 2."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO, Run, emulator_process, voicecli

PERSONAS = REPO / "personas"
LAURA_TESTS = PERSONAS / "laura.test.yaml"
FIXTURES = Path(__file__).parent / "fixtures"
LAURA_CASES = ["whole workflow", "off-topic question", "tool error", "barge-in during the greeting",
               "Spanish speaker, English-only coach"]
FRONT_DESK_CASES = ["name noted, then coaching goes to Laura", "no note without a name"]
SHIPPED_CASES = FRONT_DESK_CASES + LAURA_CASES  # the folder's test files in name order


def _document(run: Run) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(run.stdout)
    return document


def test_the_shipped_personas_pass_offline_with_a_junit_report(tmp_path: Path) -> None:
    junit = tmp_path / "personas.xml"
    run = voicecli("test", str(PERSONAS), "--offline", "--jobs", "2", "--json", "--junit", str(junit), timeout=300)
    assert run.code == 0, run.stdout + run.stderr
    document = _document(run)
    assert document["passed"] is True and document["offline"] is True
    assert [case["name"] for case in document["cases"]] == SHIPPED_CASES
    assert all(case["passed"] and case["passed_runs"] == 1 for case in document["cases"]), document
    barge_in = document["cases"][SHIPPED_CASES.index("barge-in during the greeting")]["results"][0]
    assert barge_in["latencies_ms"], "the reply after the barge-in was timed"
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == (str(len(SHIPPED_CASES)), "0")
    assert [case.get("name") for case in root.iter("testcase")] == SHIPPED_CASES


def _laura_copy(folder: Path, edit: Any) -> Path:
    folder.mkdir()
    for name in ("laura.yaml", "laura_tools.py", "laura.scenario.yaml", "laura.test.yaml"):
        shutil.copy(PERSONAS / name, folder / name)
    persona = folder / "laura.yaml"
    persona.write_text(edit(persona.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def _renamed_tool(text: str) -> str:
    # The tool's name changes everywhere the persona uses it; its handler stays the same function.
    return (text.replace("  - name: create_client_profile\n", "  - name: create_profile\n")
            .replace("tools: [create_client_profile]", "tools: [create_profile]"))


def _without_intake(text: str) -> str:
    # The intake step goes, and with it the tool only that step used.
    start = text.index("  - title: Intake\n")
    text = text[:start] + text[text.index("  - title: Understand the issue\n"):]
    start = text.index("  - name: create_client_profile\n")
    return text[:start] + text[text.index("  - name: add_action_items_to_profile\n"):]


def _in_spanish(text: str) -> str:
    return text.replace("language: en-US", "language: es-ES").replace("[en-US]", "[es-ES]")


def _sections(stdout: str) -> dict[str, str]:
    """The failure details below the table, by the test file's folder."""
    sections = {}
    for section in stdout.split("\nFAIL ")[1:]:
        path = section.split("  ")[1].rsplit(":", 1)[0]
        sections[Path(path).parent.name] = section
    return sections


def test_broken_copies_of_laura_fail_naming_the_cause(tmp_path: Path) -> None:
    renamed = _laura_copy(tmp_path / "renamed", _renamed_tool)
    no_intake = _laura_copy(tmp_path / "no-intake", _without_intake)
    spanish = _laura_copy(tmp_path / "spanish", _in_spanish)
    run = voicecli("test", str(renamed), str(no_intake), str(spanish), "--offline", "-k", "workflow",
                   "--jobs", "2", timeout=300)
    assert run.code == 1, run.stdout + run.stderr
    table = run.stdout.split("\n\n")[0].splitlines()
    assert [line.split()[:2] for line in table[1:]] == [["whole", "workflow"]] * 3
    assert all(" 0/1 " in line and "FAIL " in line for line in table[1:])
    sections = _sections(run.stdout)
    declared = ("  run 1: tools: the test names create_client_profile, which the persona does not declare (it "
                "declares {tools}add_action_items_to_profile, get_next_appointment, get_available_appointments, "
                "schedule_appointment)\n")
    call = "    > tool  create_client_profile(full_name='Ana Lopez', date_of_birth='1990-03-03', state='TX')\n"
    failed = ("  run 1: no_tool_failures: create_client_profile failed: unknown_tool: there is no tool named "
              "'create_client_profile'\n")
    for folder, tools in (("renamed", "create_profile, "), ("no-intake", "")):
        section = sections[folder]
        assert section.startswith(f"whole workflow  {tmp_path / folder / 'laura.test.yaml'}:19  0 of 1 runs passed")
        first = section.split("\n", 1)[1]
        assert first.startswith(declared.format(tools=tools) + "      agent Hi, I'm Laura.")
        assert call in first and failed in first
    assert sections["spanish"].split("\n")[1:3] == [
        "  run 1: language: the persona is set to speak es-ES (persona.language), not English", ""]
    assert run.stdout.rstrip().endswith("3 of 3 cases failed (3 runs)")


def test_the_real_service_path_runs_against_an_emulator_process(tmp_path: Path) -> None:
    records = tmp_path / "runs"
    with emulator_process("--speed", "0", "--scenario", str(FIXTURES / "kim.scenario.yaml")) as exports:
        run = voicecli("test", str(FIXTURES / "kim.test.yaml"), "-k", "own scenario", "--json", "--record",
                       "--record-dir", str(records), env=exports, timeout=300)
    assert run.code == 0, run.stdout + run.stderr
    document = _document(run)
    assert document["offline"] is False and document["passed"] is True
    (case,) = document["cases"]
    folder = Path(case["results"][0]["record"])
    assert folder == records / "kim" / "own-scenario" / "run-1"
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    session = next(event for event in events if event["type"] == "session")
    assert session["backend"] == "Gemini API (api key)", "credentials came from the environment, not --offline"
    assert [event["turn"] for event in events if event["type"] == "script_turn"] == [1]
    assert (folder / "agent.wav").stat().st_size > 44
    assert (folder / "session.sqlite3").is_file()


def test_without_offline_and_without_credentials_it_stops_before_any_run() -> None:
    run = voicecli("test", str(LAURA_TESTS))
    assert run.code == 4
    assert "No credentials for the Gemini Live API." in run.stderr
    assert "Traceback" not in run.stderr


def test_the_offline_scenario_is_the_personas_own_a_named_one_or_none() -> None:
    run = voicecli("test", str(FIXTURES), "--offline", "--jobs", "2", "--json", timeout=300)
    assert run.code == 0, run.stdout + run.stderr
    assert [case["name"] for case in _document(run)["cases"]] == ["own scenario", "named scenario", "no scenario"]


def test_a_broken_test_file_is_one_message_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "kim.test.yaml"
    broken.write_text("cases:\n  - name: one\n    turns:\n      - say: hi\n        txet: typo\n", encoding="utf-8")
    run = voicecli("test", str(broken), "--offline")
    assert run.code == 2
    assert f"{broken}:5: cases[0].turns[0].txet: unknown key 'txet' (did you mean 'text'?)" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


@pytest.mark.parametrize(("args", "message"), [
    (["-k", "no such case"], "no case matches -k no such case"),
    (["--jobs", "0"], "Invalid value for '--jobs'"),
])
def test_bad_selection_and_flags_exit_2(args: list[str], message: str) -> None:
    run = voicecli("test", str(LAURA_TESTS), "--offline", *args)
    assert run.code == 2
    assert message in run.stderr


def test_test_files_are_not_personas() -> None:
    lint = voicecli("lint-persona", str(PERSONAS))
    assert lint.code == 0, lint.stdout + lint.stderr
    assert "laura.test.yaml" in lint.stdout and "persona tests (docs/testing-personas.md), not a persona" \
        in lint.stdout
    listed = voicecli("persona", "list", "--json")
    assert "laura.test" not in listed.stdout
    shown = voicecli("talk", "--persona", str(LAURA_TESTS), "--offline", "--say", "hi")
    assert shown.code == 2 and "holds persona tests, not a persona" in shown.stderr
