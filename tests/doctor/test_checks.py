"""Each check group on its own, with its failure provoked (no network, no sound device needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import get_args

import numpy as np
import pytest

from voicecli.doctor import account, extras, install, model, sound, storage
from voicecli.doctor.service import fix_for, handshake_failure
from voicecli.emulator.voice import VoiceUnavailable
from voicecli.live.backends import Credentials
from voicecli.live.probe import Failure, ProbeResult
from voicecli.speech import INSTALL_COMMAND

KEY = "fake-THIS-IS-NOT-A-REAL-KEY-0123456789ab"


# ---- install -----------------------------------------------------------------------------------
def test_an_old_python_fails_with_the_version_needed() -> None:
    check = install.python_check((3, 10, 4), "/usr/bin/python3.10")
    assert check.status == "fail"
    assert "3.10.4" in check.detail and "3.11" in (check.fix or "")


def test_this_python_passes() -> None:
    assert install.python_check().status == "ok"


def test_a_missing_or_too_old_package_fails_naming_it() -> None:
    check = install.packages_check(["voicecli-no-such-package>=1", "numpy>=999"])
    assert check.status == "fail"
    assert "voicecli-no-such-package is missing" in check.detail
    assert "numpy" in check.detail and "numpy>=999" in check.detail
    assert "pip install" in (check.fix or "")


def test_the_installed_requirements_pass() -> None:
    check = install.packages_check()
    assert check.status == "ok", check.detail
    assert "google-genai" in check.data["versions"]


# ---- storage -----------------------------------------------------------------------------------
def test_an_unwritable_data_dir_fails_with_how_to_move_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("VOICECLI_HOME", str(blocker / "voicecli"))
    check, path = storage.data_dir_check()
    assert (check.status, path) == ("fail", None)
    assert "cannot write" in check.detail
    assert "--data-dir" in (check.fix or "")


def test_a_writable_data_dir_passes_and_is_left_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICECLI_HOME", str(tmp_path / "home"))
    check, path = storage.data_dir_check()
    assert (check.status, path) == ("ok", tmp_path / "home")
    assert list(path.iterdir()) == []


# ---- credentials -------------------------------------------------------------------------------
def test_no_credentials_fail_online_and_pass_offline() -> None:
    online, found = account.credentials_check({}, None, offline=False)
    assert (online.status, found.creds) == ("fail", None)
    assert "GEMINI_API_KEY" in (online.fix or "")
    offline, _ = account.credentials_check({}, None, offline=True)
    assert offline.status == "ok"


def test_a_key_is_named_by_its_variable_never_shown() -> None:
    check, found = account.credentials_check({"GEMINI_API_KEY": KEY, "GOOGLE_API_KEY": KEY}, None, offline=False)
    assert check.status == "ok"
    assert "GEMINI_API_KEY" in check.detail and "GOOGLE_API_KEY is also set" in check.detail
    assert KEY not in repr(check)
    assert found.key_variable == "GEMINI_API_KEY"


def test_vertex_names_its_project_and_location() -> None:
    env = {"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_CLOUD_PROJECT": "demo", "GOOGLE_CLOUD_LOCATION": "us-east5"}
    check, found = account.credentials_check(env, None, offline=False)
    assert check.status == "ok"
    assert "project demo" in check.detail and "location us-east5" in check.detail
    assert found.creds is not None and found.creds.backend == "vertex"


def test_vertex_without_project_or_key_fails() -> None:
    check, _ = account.credentials_check({"GOOGLE_CLOUD_PROJECT": "demo"}, "vertex", offline=False)
    assert check.status == "fail"
    assert "GOOGLE_CLOUD_LOCATION" in check.detail


def test_sign_in_file_missing_named_or_absent(tmp_path: Path) -> None:
    named = account.adc_check({"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "gone.json")})
    assert named.status == "fail" and "does not exist" in named.detail
    absent = account.adc_check({}, home=tmp_path)
    assert absent.status == "warn" and "gcloud auth application-default login" in (absent.fix or "")
    (tmp_path / ".config" / "gcloud").mkdir(parents=True)
    (tmp_path / ".config" / "gcloud" / "application_default_credentials.json").write_text("{}")
    assert account.adc_check({}, home=tmp_path).status == "ok"


def test_a_leftover_emulator_url_is_a_warning_without_its_query() -> None:
    env = {"GOOGLE_VERTEX_BASE_URL": "wss://127.0.0.1:1/ws?key=secret-in-query&ignored="}
    check = account.endpoint_check(env, "vertex")
    assert check is not None and check.status == "warn"
    assert "secret-in-query" not in check.detail
    assert account.endpoint_check({}, "developer") is None


# ---- persona and model -------------------------------------------------------------------------
def test_a_persona_that_does_not_load_fails(tmp_path: Path) -> None:
    check, persona = model.persona_check(str(tmp_path / "nobody.yaml"))
    assert (check.status, persona) == ("fail", None)
    assert check.fix


def test_the_shipped_persona_loads() -> None:
    check, persona = model.persona_check("laura")
    assert check.status == "ok" and persona is not None


def test_a_model_outside_the_table_warns_and_lists_known_ones() -> None:
    check = model.model_check("gemini-no-such-live", "developer")
    assert check.status == "warn"
    assert "gemini-3.8-live" in (check.fix or "")


def test_a_model_of_the_other_backend_fails() -> None:
    check = model.model_check("gemini-live-2.5-flash-native-audio", "developer")
    assert check.status == "fail"
    assert "--backend vertex" in (check.fix or "")


def test_a_served_model_passes() -> None:
    assert model.model_check("models/gemini-3.8-live", "vertex").status == "ok"


# ---- extras ------------------------------------------------------------------------------------
def _no_espeak(text: str) -> bytes:
    raise VoiceUnavailable("cannot load espeak-ng from espeakng-loader: libespeak-ng.so: cannot open")


def test_missing_espeak_fails_offline_and_warns_online() -> None:
    assert extras.espeak_check(needed=True, speak=_no_espeak).status == "fail"
    online = extras.espeak_check(needed=False, speak=_no_espeak)
    assert online.status == "warn"
    assert "espeakng-loader" in (online.fix or "")


def test_espeak_speaks_here() -> None:
    assert extras.espeak_check(needed=True).status == "ok"


def test_missing_offline_extra_warns_with_the_install_command() -> None:
    check = extras.recognition_check(lambda: (None, "speech recognition off: ctranslate2 not installed"))
    assert check.status == "warn"
    assert INSTALL_COMMAND in (check.fix or "")


# ---- sound, without a device -------------------------------------------------------------------
def _answer(code: int, out: str = "", err: str = "") -> sound.Runner:
    return lambda command: subprocess.CompletedProcess(list(command), code, out, err)


def test_a_sound_server_that_does_not_answer_fails() -> None:
    check = sound.server_check({"PULSE_SERVER": "unix:/nowhere"},
                               _answer(1, err="Connection failure: Connection refused"), "linux")
    if check.detail.startswith("pactl is not installed"):
        pytest.skip("pactl is not installed here")
    assert check.status == "fail"
    assert "unix:/nowhere" in check.detail and "Connection refused" in check.detail
    assert "PULSE_SERVER" in (check.fix or "")


def test_a_sound_server_that_answers_passes() -> None:
    info = "Server String: /run/user/1000/pulse/native\nServer Name: PulseAudio (on PipeWire 1.0.5)\n"
    check = sound.server_check({}, _answer(0, out=info), "linux")
    if check.detail.startswith("pactl is not installed"):
        pytest.skip("pactl is not installed here")
    assert check.status == "ok" and "PipeWire" in check.detail


def test_levels_are_judged_silent_clipping_or_fine() -> None:
    silent = sound.level_verdict(bytes(32_000), "mic")
    assert silent.status == "warn" and "silent" in silent.detail
    loud = np.full(16_000, 32767, np.int16)
    assert "clips" in sound.level_verdict(loud.tobytes(), "mic").detail
    speech = (3000 * np.sin(np.arange(16_000) / 5)).astype(np.int16)
    assert sound.level_verdict(speech.tobytes(), "mic").status == "ok"
    assert sound.level_verdict(b"", "mic").status == "fail"


# ---- handshake fixes ---------------------------------------------------------------------------
@pytest.mark.parametrize("failure", get_args(Failure))
def test_every_handshake_failure_has_a_fix(failure: Failure) -> None:
    creds = Credentials("developer", api_key=KEY)
    check = handshake_failure(ProbeResult(False, failure=failure, code=1008, reason="why"), creds,
                              "gemini-3.8-live", "GEMINI_API_KEY")
    assert check.status == "fail" and check.fix
    assert check.data["failure"] == failure
    assert KEY not in repr(check)


def test_a_refused_key_fix_names_the_variable() -> None:
    assert "GOOGLE_API_KEY" in fix_for("key", Credentials("vertex", api_key=KEY), "m", "GOOGLE_API_KEY")
