"""``voicecli talk`` features end to end against the offline emulator: --record, --text (piped, no audio
device at all), --aec without its extra, MCP tools, the guard flags, and the flags that do not go together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.e2e.conftest import REPO, Run, emulator_process, voicecli

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# No audio server can be reached: whatever needs a sound device fails.
NO_AUDIO = {"XDG_RUNTIME_DIR": "/nonexistent-voicecli-xdg", "PULSE_SERVER": "unix:/nonexistent/pulse"}


def typed(*lines: str, args: list[str], env: dict[str, str] | None = None, timeout: float = 60) -> Run:
    """``talk ARGS`` with ``lines`` piped to stdin (a script typing its turns)."""
    completed = subprocess.run([sys.executable, "-m", "voicecli", "talk", *args], capture_output=True, text=True,
                               input="".join(f"{line}\n" for line in lines), timeout=timeout, check=False,
                               env={**os.environ, **(env or {})}, cwd=REPO)
    return Run(completed.returncode, completed.stdout, completed.stderr)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0


# --- --record ----------------------------------------------------------------------------------------


def test_record_keeps_the_user_left_and_the_agent_right_next_to_the_log(tmp_path: Path) -> None:
    from voicecli.speech.tts import synthesize

    said = tmp_path / "hello.wav"
    with wave.open(str(said), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes(synthesize("Hello, my name is Ana.", rate=16_000))
    log_db = tmp_path / "log.sqlite3"
    run = voicecli("talk", "--offline", "--persona", "laura", "--no-greeting", "--no-recognition", "--input",
                   str(said), "--record", "--json", "--log-db", str(log_db), "--timeout", "60")
    assert run.code == 0, run.stderr
    (session,) = run.of_type("session")

    shown = voicecli("logs", "--log-db", str(log_db), "--json", "show", "latest")
    entries = json.loads(shown.stdout)["entries"]
    (event,) = [e for e in entries if e["type"] == "event" and e["kind"] == "recording"]
    assert event["detail"]["file"] == f"{session['id']}.wav"
    recording = tmp_path / "recordings" / event["detail"]["file"]

    with wave.open(str(recording)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 24_000, 2)
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    user, agent = data[0::2], data[1::2]
    second = 24_000
    spoke = [index for index in range(len(user) // second) if rms(user[index * second:(index + 1) * second]) > 300]
    answered = [index for index in range(len(agent) // second)
                if rms(agent[index * second:(index + 1) * second]) > 300]
    assert spoke and answered, (spoke, answered)
    assert spoke[0] < answered[0]  # the user spoke first, on the left; the agent answered, on the right
    assert rms(agent[: (spoke[-1] + 1) * second - second // 2]) < 50  # no agent while the user spoke

    export = voicecli("logs", "--log-db", str(log_db), "export", "latest", "--format", "json")
    assert export.code == 0, export.stderr
    lines = [item for item in json.loads(export.stdout)["transcript"] if item["type"] == "line"]
    assert lines and "speech recognition" in lines[-1]["text"]
    assert "emulator-key" not in export.stdout and b"emulator-key" not in recording.read_bytes()


# --- --text and --mute -------------------------------------------------------------------------------


def test_text_mode_runs_from_piped_lines_without_any_audio_device() -> None:
    run = typed("Hello, who are you?", "Thank you.", args=["--offline", "--persona", "laura", "--text", "--mute",
                                                          "--speed", "0", "--json", "--timeout", "60"], env=NO_AUDIO)
    assert run.code == 0, run.stderr
    users = [e["text"] for e in run.of_type("transcript") if e["role"] == "user"]
    assert users == ["Hello, who are you?", "Thank you."]
    assert all(e["typed"] for e in run.of_type("transcript") if e["role"] == "user")
    assert len(run.of_type("turn_complete")) == 3  # the greeting, then one answer per line, in order
    agent = [e["text"] for e in run.of_type("transcript") if e["role"] == "agent"]
    assert any("You asked Hello, who are" in text for text in agent)


@pytest.mark.audio
def test_text_mode_never_opens_a_microphone(virtual_audio: dict[str, str]) -> None:  # noqa: F811
    run = typed("Hello there.", args=["--offline", "--persona", "laura", "--text", "--no-greeting", "--speed", "0",
                                      "--input-device", "no-such-microphone", "--json", "--timeout", "60"],
                env=virtual_audio)
    assert run.code == 0, run.stderr  # the speaker played the reply; the named mic was never looked for
    assert run.of_type("turn_complete")


def test_flags_that_do_not_go_together_are_one_message_each() -> None:
    cases = [(["--text", "--say", "hi"], "--text"), (["--ptt", "--text"], "--ptt"),
             (["--ptt", "--vad", "server"], "--vad server"), (["--ptt"], "not one"),
             (["--stall-after", "-1"], "--stall-after")]
    for args, words in cases:
        run = voicecli("talk", "--offline", "--persona", "laura", *args)
        assert run.code == 2, (args, run.stderr)
        assert words in run.stderr and "Traceback" not in run.stderr


def test_aec_without_its_extra_is_one_clear_message_and_exit_3(tmp_path: Path) -> None:
    fake = tmp_path / "site" / "livekit"  # a livekit without its rtc module: the extra is not installed
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    run = voicecli("talk", "--offline", "--persona", "laura", "--aec",
                   env={"PYTHONPATH": f"{tmp_path / 'site'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
    assert run.code == 3, run.stderr
    assert "voicecli[aec]" in run.stderr and "Traceback" not in run.stderr
    assert len([line for line in run.stderr.splitlines() if line.strip()]) <= 2


# --- MCP tools and the guard flags --------------------------------------------------------------------


def test_a_persona_takes_tools_from_an_mcp_server(tmp_path: Path) -> None:
    pytest.importorskip("mcp")
    server = REPO / "tests" / "tools" / "mcp_notes_server.py"
    persona = tmp_path / "notes.yaml"
    persona.write_text(yaml.safe_dump({
        "persona": {"name": "Nora"},
        "rules": [{"instructions": "Keep notes for the user."}],
        "mcp_servers": [{"name": "notes", "command": [sys.executable, str(server)],
                         "tools": [{"name": "add_note", "when": "the user asks to remember something"}]}],
    }, sort_keys=False))
    run = typed("Please add a note.", "Buy oat milk.", args=["--offline", "--persona", str(persona), "--text",
                                                          "--mute", "--no-greeting", "--speed", "0", "--json",
                                                          "--timeout", "60"], env=NO_AUDIO)
    assert run.code == 0, run.stderr
    (call,) = run.of_type("tool_call")
    assert call["name"] == "add_note" and "oat milk" in call["args"]["text"]  # the answer to "What to remember"
    (result,) = run.of_type("tool_result")
    assert result["ok"] and result["result"]["output"]["number"] == 1
    notices = [e["text"] for e in run.of_type("notice")]
    assert not any("could not" in text for text in notices)


def test_stall_after_sets_how_long_a_silent_service_is_waited_for(tmp_path: Path) -> None:
    with emulator_process("--speed", "0", "--stall", "after_user_turn:1") as exports:
        run = typed("Hello there.", args=["--persona", "laura", "--text", "--mute", "--no-greeting", "--json",
                                          "--stall-after", "0.5", "--no-heard-note", "--no-drift-guard",
                                          "--timeout", "30"], env={**NO_AUDIO, **exports})
    assert run.code == 0, run.stderr
    stalls = run.of_type("stall")
    assert stalls and stalls[-1]["recovered"], stalls  # noticed after 0.5 s (not 8) and recovered
    assert run.of_type("turn_complete")


def test_google_search_sources_are_listed_under_the_agents_line(tmp_path: Path) -> None:
    persona = tmp_path / "sage.yaml"
    persona.write_text(yaml.safe_dump({
        "persona": {"name": "Sage"}, "rules": [{"instructions": "Answer questions about current events."}],
        "tools": [{"builtin": "google_search", "when": "the user asks about current events or the news"}]}))
    args = ["--offline", "--persona", str(persona), "--text", "--mute", "--no-greeting", "--speed", "0",
            "--timeout", "30"]
    plain = typed("What is the latest news about the Mars mission?", args=args, env=NO_AUDIO)
    assert plain.code == 0, plain.stderr
    lines = plain.stdout.splitlines()
    agent = next(index for index, line in enumerate(lines) if line.startswith("agent: "))
    assert lines[agent + 1].startswith("  source: example.com <https://example.com/"), lines
    as_json = typed("What is the latest news about the Mars mission?", args=[*args, "--json"], env=NO_AUDIO)
    (grounding,) = as_json.of_type("grounding")
    assert grounding["sources"][0]["uri"].startswith("https://example.com/") and grounding["queries"]
