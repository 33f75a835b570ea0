"""Bad input and unwritable places, met through the real CLI: one clear message and a distinct exit code."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from tests.e2e.conftest import voicecli

EXIT_USAGE = 2
EXIT_AUTH = 4
EXIT_STORAGE = 8


def _empty_wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
    return path


def _talk_with_input(path: Path) -> tuple[int, str]:
    # --timeout is only a guard against a hang: the run must end long before it, at start-up.
    run = voicecli("talk", "--offline", "--speed", "0", "--fast", "--input", str(path), "--timeout", "60",
                   timeout=90)
    assert "Traceback" not in run.stderr
    return run.code, run.stderr


def test_a_wav_with_no_frames_is_a_usage_error_before_connecting(tmp_path: Path) -> None:
    code, stderr = _talk_with_input(_empty_wav(tmp_path / "silent.wav"))
    assert code == EXIT_USAGE
    assert "silent.wav" in stderr
    assert "no audio" in stderr


@pytest.mark.parametrize(("content", "reason"), [(b"", "empty"), (b"hello, not audio\n", "RIFF")])
def test_an_input_that_is_not_a_wav_names_the_file_and_the_reason(tmp_path: Path, content: bytes,
                                                                   reason: str) -> None:
    path = tmp_path / "turn.wav"
    path.write_bytes(content)
    code, stderr = _talk_with_input(path)
    assert code == EXIT_USAGE
    assert str(path) in stderr
    assert reason in stderr


def test_a_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    code, stderr = _talk_with_input(tmp_path / "nowhere.wav")
    assert code == EXIT_USAGE
    assert "nowhere.wav" in stderr


def test_an_unusable_data_directory_names_the_path_and_how_to_move_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    home = blocker / "voicecli"  # cannot be created: its parent is a file
    run = voicecli("--data-dir", str(home), "talk", "--offline", "--speed", "0", "--fast", "--say", "hi",
                   "--max-turns", "1", "--timeout", "60")
    assert run.code == EXIT_STORAGE, run.stderr
    assert str(home) in run.stderr
    assert "data directory" in run.stderr
    assert "--data-dir" in run.stderr and "VOICECLI_HOME" in run.stderr
    assert "Traceback" not in run.stderr


def test_an_unwritable_session_log_names_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "sessions.sqlite3").mkdir(parents=True)  # a folder where the database file should be
    run = voicecli("--data-dir", str(home), "talk", "--offline", "--speed", "0", "--fast", "--say", "hi",
                   "--max-turns", "1", "--timeout", "60")
    assert run.code == EXIT_STORAGE, run.stderr
    assert str(home / "sessions.sqlite3") in run.stderr
    assert "--data-dir" in run.stderr


def test_an_unwritable_emulator_certificate_folder_names_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "emulator-ca").write_text("")  # a file where the certificate folder should be
    run = voicecli("--data-dir", str(home), "talk", "--offline", "--speed", "0", "--fast", "--say", "hi",
                   "--max-turns", "1", "--timeout", "60")
    assert run.code == EXIT_STORAGE, run.stderr
    assert "emulator-ca" in run.stderr
    assert "certificates" in run.stderr


def test_an_unwritable_output_file_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    run = voicecli("talk", "--offline", "--speed", "0", "--fast", "--say", "hi", "--max-turns", "1",
                   "--output", str(blocker / "reply.wav"), "--timeout", "60")
    assert run.code == EXIT_STORAGE, run.stderr
    assert "reply.wav" in run.stderr


def test_debug_adds_a_traceback_and_keeps_the_exit_code() -> None:
    plain = voicecli("talk", "--say", "hi")  # no credentials in the test environment
    debug = voicecli("--debug", "talk", "--say", "hi")
    assert plain.code == debug.code == EXIT_AUTH
    assert "Traceback" not in plain.stderr
    assert "Traceback" in debug.stderr
    assert "No credentials" in debug.stderr
