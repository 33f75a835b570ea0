"""``voicecli doctor`` as a user runs it: one line per check, a fix under each problem, --json, exit codes."""

from __future__ import annotations

import json

from tests.doctor.conftest import checks_by_name, doctor_cli
from tests.e2e.conftest import emulator_process

WRONG_KEY = "fake-THIS-IS-NOT-A-REAL-KEY-0123456789ab"


def test_offline_json_passes_with_every_check_listed() -> None:
    code, stdout, stderr = doctor_cli("--offline", "--no-audio", "--json")
    document = json.loads(stdout)
    assert code == 0 and document["ok"] is True, stdout + stderr
    assert document["exit_code"] == 0 and document["summary"]["fail"] == 0
    names = [check["name"] for check in document["checks"]]
    assert names[:2] == ["python", "packages"] and names[-1] == "handshake"
    assert all(set(check) == {"name", "status", "detail", "fix", "data"} for check in document["checks"])


def test_no_credentials_is_one_line_with_its_fix_and_exit_1() -> None:
    code, stdout, stderr = doctor_cli("--no-audio")
    assert code == 1
    lines = stdout.splitlines()
    failing = [index for index, line in enumerate(lines) if line.startswith("FAIL")]
    assert [lines[index].split()[1] for index in failing] == ["credentials"]
    assert lines[failing[0] + 1].strip().startswith("fix: set GEMINI_API_KEY")
    assert "not tried" in stdout
    assert lines[-1].startswith("1 problem to fix before talk will work")
    assert "Traceback" not in stdout + stderr


def test_a_key_the_service_refuses_is_named_never_printed() -> None:
    # `voicecli emulator` accepts only its --api-key; the doctor follows the lines it prints.
    with emulator_process("--api-key", "the-right-key") as exports:
        code, stdout, _ = doctor_cli("--no-audio", "--json", env={**exports, "GEMINI_API_KEY": WRONG_KEY})
    checks = checks_by_name(stdout)
    assert code == 1
    assert checks["credentials"]["data"]["variable"] == "GEMINI_API_KEY"
    assert checks["handshake"]["data"]["failure"] == "key"
    assert "GEMINI_API_KEY" in checks["handshake"]["fix"]
    assert WRONG_KEY not in stdout


def test_a_timeout_that_is_not_positive_is_a_usage_error() -> None:
    code, _, stderr = doctor_cli("--no-audio", "--timeout", "0")
    assert code == 2
    assert "--timeout" in stderr
