from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

LAURA = str(Path(__file__).resolve().parents[2] / "personas" / "laura.yaml")


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
    "args", [("--help",), ("lint-persona", LAURA), ("persona", "show", LAURA, "--json")], ids=str
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
