"""Persona ``session`` settings -> setup fields, fitted to the model, accepted by the emulator.

Unit tests check each setting lands in the right google-genai field; end-to-end tests connect the real
SDK to the emulator (whose own model table refuses what the model refuses) with the setup talk builds.
"""

# Emulator and session contexts stay nested: the session needs the emulator's address.
# ruff: noqa: SIM117

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from google.genai import errors, types

from tests.e2e.conftest import voicecli
from voicecli.emulator import Emulator
from voicecli.errors import UsageError
from voicecli.live.backends import Credentials, make_client
from voicecli.live.config import TalkSettings, build_live_config, setup_notices
from voicecli.persona import load_persona
from voicecli.persona.model import Persona

SETTINGS = """
session:
  proactive_audio: true
  affective_dialog: true
  thinking: {budget: 1024}
  activity_detection: {start_sensitivity: low, end_sensitivity: high, prefix_padding_ms: 20,
                       silence_duration_ms: 500}
  activity_handling: no_interrupt
  media_resolution: low
"""

PERSONA = """
persona:
  name: Dana
  role: a front desk assistant for tests
  language: en-US
greeting:
  text: Say hello in one short sentence.
rules:
  - title: Note names
    kind: loop
    instructions: When the caller gives their name, note it and thank them.
    tools: [note_name]
tools:
  - name: note_name
    description: Notes the caller's name and returns it.
    when: when the caller gives their name
    behavior: non_blocking
    parameters:
      type: object
      properties:
        name: {type: string, description: The caller's name.}
      required: [name]
    handler: {python: "dana_tools:note_name"}
"""

TOOLS = '''
def note_name(args):
    return {"noted": args["name"]}
'''

SCENARIO = """
name: dana
steps:
  - opening: true
    say: "Hello."
  - user: "My name is Ana."
    say: "One moment."
    tool_calls:
      - name: note_name
        args: {name: Ana}
    then: "Thank you, {{ note_name.noted }}."
"""


def write_persona(folder: Path, session: str = "", extra_tools: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dana_tools.py").write_text(TOOLS)
    (folder / "dana.scenario.yaml").write_text(textwrap.dedent(SCENARIO))
    path = folder / "dana.yaml"
    path.write_text(textwrap.dedent(PERSONA) + extra_tools + textwrap.dedent(session))
    return path


def persona_with(tmp_path: Path, session: str = SETTINGS, extra_tools: str = "") -> Persona:
    return load_persona(write_persona(tmp_path, session, extra_tools))


SEARCH = "  - builtin: google_search\n    when: the caller asks about current events\n"


# ---- unit: each setting in its field ---------------------------------------------------------------


def test_every_setting_lands_in_its_sdk_field(tmp_path: Path) -> None:
    persona = persona_with(tmp_path, extra_tools=SEARCH)
    config = build_live_config(persona, TalkSettings(backend="vertex", model="gemini-live-2.5-flash-native-audio"))
    assert config.proactivity == types.ProactivityConfig(proactive_audio=True)
    assert config.enable_affective_dialog is True
    assert config.thinking_config == types.ThinkingConfig(thinking_budget=1024)
    assert config.media_resolution == types.MediaResolution.MEDIA_RESOLUTION_LOW
    realtime = config.realtime_input_config
    assert realtime is not None and realtime.automatic_activity_detection is not None
    detection = realtime.automatic_activity_detection
    assert detection.start_of_speech_sensitivity == types.StartSensitivity.START_SENSITIVITY_LOW
    assert detection.end_of_speech_sensitivity == types.EndSensitivity.END_SENSITIVITY_HIGH
    assert (detection.prefix_padding_ms, detection.silence_duration_ms, detection.disabled) == (20, 500, False)
    assert realtime.activity_handling == types.ActivityHandling.NO_INTERRUPTION
    assert config.tools is not None and len(config.tools) == 2
    function_tool, search_tool = config.tools
    assert isinstance(search_tool, types.Tool) and search_tool.google_search is not None
    assert isinstance(function_tool, types.Tool) and function_tool.function_declarations is not None
    assert [d.name for d in function_tool.function_declarations] == ["note_name"]
    assert config.http_options is None
    assert setup_notices(persona, TalkSettings(backend="vertex", model="gemini-live-2.5-flash-native-audio")) == []


def test_nothing_is_sent_for_settings_the_persona_leaves_out(tmp_path: Path) -> None:
    config = build_live_config(persona_with(tmp_path, session=""), TalkSettings())
    assert config.proactivity is None and config.enable_affective_dialog is None
    assert config.thinking_config is None and config.media_resolution is None
    assert config.realtime_input_config is not None and config.realtime_input_config.activity_handling is None


def test_adjusted_settings_are_what_the_config_carries(tmp_path: Path) -> None:
    persona = persona_with(tmp_path)
    settings = TalkSettings(model="gemini-3.1-flash-live-preview")
    config = build_live_config(persona, settings)
    assert config.thinking_config == types.ThinkingConfig(thinking_level=types.ThinkingLevel.LOW)
    assert config.proactivity is None and config.enable_affective_dialog is None
    notices = setup_notices(persona, settings)
    assert len(notices) == 4  # the non-blocking tool, proactive audio, affective dialog, thinking
    assert any("note_name" in n and "blocking call" in n for n in notices)


def test_developer_native_audio_asks_for_v1alpha_only_when_needed(tmp_path: Path) -> None:
    model = "gemini-2.5-flash-native-audio-preview-12-2025"
    config = build_live_config(persona_with(tmp_path), TalkSettings(model=model))
    assert config.http_options == types.HttpOptions(api_version="v1alpha")
    plain = build_live_config(persona_with(tmp_path / "plain", session=""), TalkSettings(model=model))
    assert plain.http_options is None


def test_a_persona_the_model_cannot_serve_is_refused_before_connecting(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        setup_notices(persona_with(tmp_path), TalkSettings(model="gemini-3.5-live-translate-preview"))
    assert "no system instruction or tools" in caught.value.message


def test_transparent_resumption_follows_the_table() -> None:
    laura = load_persona(Path(__file__).resolve().parents[2] / "personas" / "laura.yaml")
    unknown = build_live_config(laura, TalkSettings(backend="vertex", model="gemini-9-future-live"))
    assert unknown.session_resumption is not None and unknown.session_resumption.transparent is True
    developer = build_live_config(laura, TalkSettings(backend="developer"))
    assert developer.session_resumption is not None and developer.session_resumption.transparent is None


def test_an_unknown_model_gets_the_settings_untouched_and_one_warning(tmp_path: Path) -> None:
    persona = persona_with(tmp_path)
    settings = TalkSettings(model="gemini-9-future-live")
    config = build_live_config(persona, settings)
    assert config.proactivity == types.ProactivityConfig(proactive_audio=True)
    assert config.thinking_config == types.ThinkingConfig(thinking_budget=1024)
    (notice,) = setup_notices(persona, settings)
    assert "not in voicecli's model table" in notice


# ---- end to end: the real SDK against the emulator ------------------------------------------------


async def handshake(emulator: Emulator, backend: str, model: str, config: types.LiveConnectConfig) -> None:
    client = make_client(Credentials("vertex" if backend == "vertex" else "developer", api_key="emulator-key",
                                     base_url=emulator.base_url, ca_file=emulator.ca_file, offline=True))
    async with client.aio.live.connect(model=model, config=config) as session:
        assert session is not None


CASES = [
    # (kind, backend, model): every setting accepted as is / adjusted with notices
    ("as is", "vertex", "gemini-live-2.5-flash-native-audio"),
    ("v1alpha", "developer", "gemini-2.5-flash-native-audio-preview-12-2025"),
    ("adjusted", "developer", "gemini-3.1-flash-live-preview"),
    ("adjusted", "developer", "gemini-3.8-live"),
    ("adjusted", "vertex", "gemini-3.8-live-extended-thinking"),
]


@pytest.mark.parametrize(("kind", "backend", "model"), CASES)
async def test_the_setup_talk_builds_is_accepted(tmp_path: Path, kind: str, backend: str, model: str) -> None:
    session = SETTINGS.replace("proactive_audio: true", "proactive_audio: false") if "3.8" in model else SETTINGS
    persona = persona_with(tmp_path, session=session)
    settings = TalkSettings(backend=backend, model=model)  # type: ignore[arg-type]
    assert bool(setup_notices(persona, settings)) == (kind == "adjusted")
    async with Emulator(ca_dir=tmp_path / "ca", speed=0, recognition=False) as emulator:
        await handshake(emulator, backend, model, build_live_config(persona, settings))


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        ("gemini-3.1-flash-live-preview", {"thinking_config": types.ThinkingConfig(thinking_budget=1024)}),
        ("gemini-3.8-live", {"proactivity": types.ProactivityConfig(proactive_audio=False)}),
        ("gemini-3.8-live", {"enable_affective_dialog": True}),
        ("gemini-2.5-flash-native-audio-preview-12-2025",
         {"proactivity": types.ProactivityConfig(proactive_audio=True)}),  # without v1alpha
    ],
)
async def test_without_the_adjustment_the_emulator_refuses(tmp_path: Path, model: str,
                                                            fields: dict[str, Any]) -> None:
    persona = persona_with(tmp_path, session="")
    config = build_live_config(persona, TalkSettings(model=model)).model_copy(update=fields)
    async with Emulator(ca_dir=tmp_path / "ca", speed=0, recognition=False) as emulator:
        with pytest.raises(errors.APIError) as caught:
            await handshake(emulator, "developer", model, config)
    assert caught.value.code == 1007


def talk(persona: Path, *args: str) -> Any:
    scenario = persona.with_name("dana.scenario.yaml")
    return voicecli("talk", "--offline", "--persona", str(persona), "--scenario", str(scenario), "--no-recognition",
                    "--speed", "0", "--fast", "--json", "--timeout", "60", *args)


def test_a_persona_no_model_setting_can_fix_is_refused_with_exit_2(tmp_path: Path) -> None:
    run = talk(write_persona(tmp_path), "--model", "gemini-3.5-live-translate-preview", "--say", "Hello.")
    assert run.code == 2, run.stderr
    assert "translate model" in run.stderr and "Traceback" not in run.stderr
    assert not run.of_type("transcript"), "nothing was said: the setup never went out"


def test_dry_run_shows_the_adjusted_setup_and_its_notices(tmp_path: Path) -> None:
    run = voicecli("talk", "--persona", str(write_persona(tmp_path, SETTINGS)), "--dry-run", "--json",
                   "--model", "gemini-3.1-flash-live-preview")
    assert run.code == 0, run.stderr
    document = json.loads(run.stdout)
    assert len(document["notices"]) == 4
    config = document["config"]
    assert config["thinking_config"] == {"thinking_level": "LOW"}
    assert "proactivity" not in config and "enable_affective_dialog" not in config


@pytest.mark.parametrize(("backend", "model"), [("developer", "gemini-3.1-flash-live-preview"),
                                                ("vertex", "gemini-3.1-flash-live-preview-04-2026")])
def test_a_non_blocking_tool_runs_blocking_with_a_notice(tmp_path: Path, backend: str, model: str) -> None:
    run = talk(write_persona(tmp_path), "--backend", backend, "--model", model, "--say", "My name is Ana.")
    assert run.code == 0, run.stderr
    notices = [n["text"] for n in run.of_type("notice") if "note_name" in n.get("text", "")]
    assert len(notices) == 1 and "runs as a blocking call" in notices[0]
    (result,) = run.of_type("tool_result")
    assert result["name"] == "note_name" and result["ok"] is True
    agent = [t["text"] for t in run.of_type("transcript") if t["role"] == "agent"]
    assert any("Thank you, Ana." in line for line in agent)

