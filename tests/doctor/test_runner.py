"""The whole doctor (sound aside) in-process: what reaches the user, offline and online, with failures provoked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.doctor.conftest import closed_port
from voicecli.doctor import Check, DoctorOptions, exit_code, run_doctor
from voicecli.doctor.runner import _guard, _scrubbed

KEY = "fake-THIS-IS-NOT-A-REAL-KEY-0123456789ab"


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


async def test_offline_everything_talk_needs_works() -> None:
    seen: list[Check] = []
    checks = await run_doctor(DoctorOptions(offline=True, audio=False), on_check=seen.append)
    assert seen == checks
    found = by_name(checks)
    assert found["handshake"].status == "ok", found["handshake"]
    assert found["handshake"].data["round_trip_ms"] >= 0
    assert exit_code(checks) == 0, [c for c in checks if c.status == "fail"]


async def test_offline_an_unknown_model_fails_the_handshake() -> None:
    checks = by_name(await run_doctor(DoctorOptions(offline=True, audio=False, model="gemini-no-such-live")))
    assert checks["model"].status == "warn"
    assert checks["handshake"].status == "fail"
    assert checks["handshake"].data["failure"] == "model"
    assert "--model" in (checks["handshake"].fix or "")


async def test_no_credentials_fail_and_the_handshake_is_not_tried() -> None:
    checks = await run_doctor(DoctorOptions(audio=False), env={})
    found = by_name(checks)
    assert found["credentials"].status == "fail"
    assert found["handshake"].status == "warn" and "not tried" in found["handshake"].detail
    assert exit_code(checks) == 1


async def test_an_unwritable_data_dir_fails_and_stops_the_offline_handshake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("VOICECLI_HOME", str(tmp_path / "file" / "home"))
    checks = by_name(await run_doctor(DoctorOptions(offline=True, audio=False)))
    assert checks["data directory"].status == "fail"
    assert "not tried" in checks["handshake"].detail


async def test_a_refused_key_is_reported_by_variable_and_never_shown(
    make_emulator: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK follows the same lines `voicecli emulator` prints, as an app would.
    async with make_emulator(valid_keys=frozenset({"the-right-key"})) as emulator:
        for name, value in emulator.env("the-right-key").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        checks = await run_doctor(DoctorOptions(audio=False))
    found = by_name(checks)
    assert found["endpoint"].status == "warn"
    assert found["handshake"].status == "fail"
    assert found["handshake"].data["failure"] == "key"
    assert "GEMINI_API_KEY" in (found["handshake"].fix or "")
    assert KEY not in repr(checks)


async def test_a_closed_port_is_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", f"https://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    checks = by_name(await run_doctor(DoctorOptions(audio=False)))
    assert checks["handshake"].data["failure"] == "network"
    assert checks["handshake"].detail.startswith("no network")


def test_a_check_that_breaks_becomes_one_failed_line() -> None:
    check = _guard("espeak-ng", lambda: 1 / 0)  # type: ignore[arg-type, return-value]
    assert check is not None and check.status == "fail"
    assert "ZeroDivisionError" in check.detail and check.fix


def test_key_values_are_scrubbed_from_every_field() -> None:
    leaky = Check("x", "fail", f"echoed {KEY}", f"fix {KEY}", {"reason": f"said {KEY}", "nested": {"at": [KEY]}})
    clean = _scrubbed(leaky, [KEY])
    assert KEY not in repr(clean)
    assert clean.detail == "echoed [key]"
