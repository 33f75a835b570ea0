from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAURA = str(ROOT / "personas" / "laura.yaml")
SCENARIO = """\
name: demo
steps:
  - say: "Hello from a scenario."
"""


def voicecli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from voicecli.cli.main import run; run()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_laura_lints_clean_with_strict() -> None:
    result = voicecli("lint-persona", "--strict", LAURA)
    assert result.returncode == 0, result.stdout
    assert "clean: 1 file checked" in result.stdout


def test_error_findings_exit_1_with_file_line_code(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["tools"][0].pop("when")
    path = samples.write(tmp_path, document)
    result = voicecli("lint-persona", str(path))
    assert result.returncode == 1
    assert f"{path}:" in result.stdout and " VC301 error " in result.stdout


def test_warnings_fail_only_with_strict(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document.pop("greeting")
    path = samples.write(tmp_path, document)
    assert voicecli("lint-persona", str(path)).returncode == 0
    strict = voicecli("lint-persona", "--strict", str(path))
    assert strict.returncode == 1
    assert "VC107 warning" in strict.stdout


def test_unparseable_file_exits_2_without_traceback(tmp_path: Path, samples: Any) -> None:
    path = samples.write(tmp_path, "persona: [\n")
    result = voicecli("lint-persona", str(path))
    assert result.returncode == 2
    assert "not valid YAML" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_folder_lints_every_persona_as_json(tmp_path: Path, samples: Any) -> None:
    samples.write(tmp_path, samples.base_document(), name="a.yaml")
    bad = samples.base_document()
    bad["tools"][0]["parameters"]["additionalProperties"] = False
    samples.write(tmp_path, bad, name="b.yaml")
    result = voicecli("lint-persona", str(tmp_path), "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 1 == report["exit_code"]
    assert [Path(f["file"]).name for f in report["files"]] == ["a.yaml", "b.yaml"]
    assert report["files"][1]["findings"][0]["code"] == "VC306"
    assert report["summary"]["errors"] == 1


def test_persona_show_prints_instruction_and_declarations() -> None:
    result = voicecli("persona", "show", LAURA, "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["system_instruction"].startswith("# Persona\nYou are Laura")
    assert [d["name"] for d in shown["function_declarations"]][0] == "create_client_profile"
    text = voicecli("persona", "show", LAURA)
    assert "RESPOND IN ENGLISH" in text.stdout and '"name": "schedule_appointment"' in text.stdout


def test_persona_show_prints_the_handoffs_in_text() -> None:
    text = voicecli("persona", "show", str(ROOT / "personas" / "front_desk.yaml"))
    assert text.returncode == 0, text.stderr
    handoffs = text.stdout[text.stdout.index("handoffs (1)"):]
    assert '"tool_name": "transfer_to_laura"' in handoffs and '"caller_name"' in handoffs


def test_persona_show_rejects_a_broken_persona_with_exit_2(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["persona"]["colour"] = "blue"
    result = voicecli("persona", "show", str(samples.write(tmp_path, document)))
    assert result.returncode == 2
    assert "persona.colour: unknown key 'colour'" in result.stderr
    assert "Traceback" not in result.stderr


def test_name_lookup_uses_local_personas_folder(tmp_path: Path, samples: Any) -> None:
    samples.write(tmp_path / "personas", samples.base_document(), name="sam.yaml")
    result = voicecli("persona", "show", "sam", "--json", cwd=tmp_path)
    assert json.loads(result.stdout)["name"] == "Sam"


@pytest.mark.parametrize(
    "args",
    [("--help",), ("lint-persona", LAURA), ("persona", "show", LAURA, "--json"), ("persona", "list")],
    ids=str,
)
def test_commands_do_not_import_heavy_libraries(args: tuple[str, ...]) -> None:
    probe = (
        "import sys\nfrom voicecli.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('google.genai', 'sounddevice', 'numpy') if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert "HEAVY=\n" in result.stderr, result.stderr


def test_readme_lint_of_the_shipped_folder_passes_and_skips_the_scenario() -> None:
    result = voicecli("lint-persona", "personas/", cwd=ROOT)
    assert result.returncode == 0, result.stdout
    assert "personas/laura.scenario.yaml: skipped: an emulator scenario" in result.stdout
    assert "personas/laura.test.yaml: skipped: persona tests" in result.stdout
    assert "personas/front_desk.test.yaml: skipped: persona tests" in result.stdout
    # laura and front_desk (which hands over to laura, so laura is linted through it too).
    assert result.stdout.splitlines()[-1] == "clean: 2 files checked, 1 scenario and 2 test files skipped"
    report = json.loads(voicecli("lint-persona", "personas/", "--format", "json", cwd=ROOT).stdout)
    assert report["summary"] == {"files": 2, "errors": 0, "warnings": 0, "unloadable": 0, "skipped": 3,
                                 "test_files": 2}
    assert report["exit_code"] == 0


def test_text_and_json_summaries_count_the_same(tmp_path: Path, samples: Any) -> None:
    samples.write(tmp_path, samples.base_document(), name="a.yaml")
    bad = samples.base_document()
    bad["tools"][0]["parameters"]["additionalProperties"] = False
    bad.pop("greeting")
    samples.write(tmp_path, bad, name="b.yaml")
    samples.write(tmp_path, "persona: [\n", name="c.yaml")
    (tmp_path / "d.scenario.yaml").write_text(SCENARIO)
    (tmp_path / "e.yaml").write_text(SCENARIO)  # a scenario known by its own keys alone
    text = voicecli("lint-persona", str(tmp_path))
    report = json.loads(voicecli("lint-persona", str(tmp_path), "--format", "json").stdout)
    assert text.returncode == report["exit_code"] == 2
    assert text.stdout.splitlines()[-1] == "1 error, 1 warning, 1 unreadable in 3 files checked, 2 scenarios skipped"
    assert report["summary"] == {"files": 3, "errors": 1, "warnings": 1, "unloadable": 1, "skipped": 2,
                                 "test_files": 0}
    assert [f["skipped"] is not None for f in report["files"]] == [False, False, False, True, True]


def test_a_scenario_in_a_scenarios_folder_is_never_linted_as_a_persona(tmp_path: Path) -> None:
    scenario = tmp_path / "scenarios" / "odd.yaml"
    scenario.parent.mkdir()
    scenario.write_text("name: odd\n")
    result = voicecli("lint-persona", str(scenario))
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1] == "clean: 0 files checked, 1 scenario skipped"


def test_persona_show_of_a_scenario_is_one_clear_message() -> None:
    result = voicecli("persona", "show", str(ROOT / "personas" / "laura.scenario.yaml"))
    assert result.returncode == 2
    assert "is an emulator scenario, not a persona" in result.stderr
    assert "Traceback" not in result.stderr


def test_persona_list_shows_name_language_tools_and_path(tmp_path: Path, samples: Any) -> None:
    samples.write(tmp_path / "personas", samples.base_document(), name="sam.yaml")
    samples.write(tmp_path / "personas", samples.base_document(), name="laura.yaml")  # shadows the shipped one
    samples.write(tmp_path, samples.base_document(), name="desk.yaml")
    (tmp_path / "compose.yaml").write_text("services: {}\n")  # other YAML in the current folder is not listed
    samples.write(tmp_path / "personas", "persona: [\n", name="broken.yaml", with_module=False)
    listed = json.loads(voicecli("persona", "list", "--json", cwd=tmp_path).stdout)
    by_path = {Path(entry["path"]): entry for entry in listed}
    # ./personas first, then the shipped personas (front_desk, and laura shadowed by ./personas/laura.yaml).
    assert [entry["name"] for entry in listed] == ["desk.yaml", "broken", "laura", "sam", "front_desk", "laura"]
    assert by_path[tmp_path / "personas" / "sam.yaml"]["tools"] == ["lookup_order"]
    assert by_path[tmp_path / "personas" / "sam.yaml"]["language"] == "en-GB"
    assert "not valid YAML" in by_path[tmp_path / "personas" / "broken.yaml"]["error"]
    shipped = listed[-1]
    assert shipped["shadowed"] and Path(shipped["path"]).name == "laura.yaml" and len(shipped["tools"]) == 5
    text = voicecli("persona", "list", cwd=tmp_path).stdout.splitlines()
    assert text[0].split() == ["name", "language", "tools", "path"]
    assert text[4].split() == ["sam", "en-GB", "1", str(tmp_path / "personas" / "sam.yaml")]
    assert text[6].endswith("(shadowed)") and not text[5].endswith("(shadowed)")


def test_persona_init_writes_a_starter_that_lints_clean_and_talks(tmp_path: Path) -> None:
    created = voicecli("persona", "init", "front-desk", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["front-desk.yaml", "front_desk_tools.py"]
    assert "# " in (tmp_path / "front-desk.yaml").read_text()  # commented for a first-time reader
    lint = voicecli("lint-persona", "--strict", "front-desk.yaml", cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout
    shown = json.loads(voicecli("persona", "show", "front-desk.yaml", "--json", cwd=tmp_path).stdout)
    assert shown["name"] == "Front Desk"
    assert [d["name"] for d in shown["function_declarations"]] == ["get_current_time"]
    listed = json.loads(voicecli("persona", "list", "--json", cwd=tmp_path).stdout)
    assert listed[0]["name"] == "front-desk.yaml"
    talk = voicecli("talk", "--offline", "--persona", "front-desk.yaml", "--say", "hi", "--max-turns", "1",
                    "--fast", "--json", "--speed", "0", cwd=tmp_path)
    assert talk.returncode == 0, talk.stderr
    assert any(json.loads(line)["type"] == "turn_complete" for line in talk.stdout.splitlines())


@pytest.mark.parametrize(
    ("name", "message"),
    [("front-desk", "already exist"), ("Front Desk", "cannot name a persona"), ("9lives", "cannot name a persona")],
)
def test_persona_init_refuses_with_one_clear_message(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "front-desk.yaml").write_text("mine\n")
    result = voicecli("persona", "init", name, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "front-desk.yaml").read_text() == "mine\n"
