"""Turn taking through the real SDK: nudges that are not turns, usage per modality, and the generic brain's
calls, cancellations and memory across a resumed session."""

# Emulator and session contexts stay nested: the session needs the emulator's address.
# ruff: noqa: SIM117

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from google.genai import types

from voicecli.emulator.scenario import parse_scenario

from .conftest import MODEL, client_for, receive_turn

TRANSCRIBED = types.LiveConnectConfig(output_audio_transcription=types.AudioTranscriptionConfig())
THERMOSTAT = {"name": "set_thermostat", "description": "Sets the thermostat to a temperature in degrees.",
              "parameters": {"type": "OBJECT", "properties": {"temperature": {"type": "NUMBER"}},
                             "required": ["temperature"]}}


def text(words: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=words)])


def _call_or_end(message: types.LiveServerMessage) -> bool:
    return message.tool_call is not None or bool(message.server_content and message.server_content.turn_complete)


@pytest.mark.parametrize("nudge", ["realtime", "client_content"])
async def test_whitespace_after_a_user_turn_is_no_turn_and_interrupts_nothing(make_emulator: Callable[..., Any],
                                                                             nudge: str) -> None:
    scenario = parse_scenario({"steps": [{"say": "One, two, three, four, five."}, {"say": "Six."}]}, "inline")
    async with make_emulator(scenario=scenario, speed=1.0) as emu:  # real time: the nudge lands mid-reply
        async with client_for(emu).aio.live.connect(model=MODEL, config=TRANSCRIBED) as session:
            await session.send_client_content(turns=text("Count to five."))
            if nudge == "realtime":
                await session.send_realtime_input(text=" ")
            else:
                await session.send_client_content(turns=text("  \n"), turn_complete=True)
            counted = await receive_turn(session)
            await session.send_client_content(turns=text("And then?"))
            after = await receive_turn(session)
    assert counted.transcript == "One, two, three, four, five." and not counted.flag("interrupted")
    assert after.transcript == "Six."  # the nudge did not use up a step


async def test_whitespace_before_anything_was_said_asks_for_the_opening(make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(system_instruction="You are Max, a concierge.",
                                     output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator() as emu, client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
        await session.send_realtime_input(text=" ")
        turn = await receive_turn(session)
    assert turn.transcript == "Hi, I'm Max, a concierge. How can I help you today?"


async def test_a_turn_sent_in_two_messages_is_answered_whole(make_emulator: Callable[..., Any]) -> None:
    """Some frameworks send the user's words with turn_complete false, then "." to complete the turn."""
    config = types.LiveConnectConfig(tools=[types.Tool(function_declarations=[
        types.FunctionDeclaration.model_validate(THERMOSTAT)])])
    async with make_emulator() as emu, client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns=text("Set the thermostat to twenty one degrees."),
                                          turn_complete=False)
        await session.send_client_content(turns=text("."), turn_complete=True)
        turn = await receive_turn(session, until=_call_or_end)
    (call,) = turn.tool_calls
    assert (call.name, call.args) == ("set_thermostat", {"temperature": 21})


async def test_a_text_reply_counts_text_tokens(make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(response_modalities=[types.Modality.TEXT])
    async with make_emulator() as emu:
        async with client_for(emu).aio.live.connect(model="gemini-3.1-flash-live-preview", config=config) as session:
            await session.send_client_content(turns=text("I feel stuck at work these days."))
            turn = await receive_turn(session)
    said = "".join(part.text or "" for m in turn.messages if m.server_content and m.server_content.model_turn
                   for part in m.server_content.model_turn.parts or [])
    assert said == "You said you feel stuck at work these days. Tell me more."
    assert turn.usage is not None
    assert [(d.modality, d.token_count) for d in turn.usage.response_tokens_details or []] == [
        (types.MediaModality.TEXT, turn.usage.response_token_count)]
    assert [d.modality for d in turn.usage.prompt_tokens_details or []] == [types.MediaModality.TEXT]


@pytest.mark.parametrize(("scheduling", "speaks"), [("WHEN_IDLE", True), ("INTERRUPT", True), ("SILENT", False)])
async def test_a_non_blocking_call_of_the_generic_brain_follows_scheduling(make_emulator: Callable[..., Any],
                                                                          scheduling: str, speaks: bool) -> None:
    declaration = types.FunctionDeclaration.model_validate({**THERMOSTAT, "behavior": "NON_BLOCKING"})
    config = types.LiveConnectConfig(tools=[types.Tool(function_declarations=[declaration])],
                                     output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator() as emu, client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
        await session.send_client_content(turns=text("Set the thermostat to eighteen, please."))
        started = await receive_turn(session)
        (call,) = started.tool_calls
        await session.send_tool_response(function_responses=[types.FunctionResponse(
            id=call.id, name=call.name, response={"output": {"temperature": 18}},
            scheduling=types.FunctionResponseScheduling(scheduling))])
        if speaks:
            told = await receive_turn(session)
            assert told.transcript == "Set thermostat: done. Temperature: 18."
        await session.send_client_content(turns=text("Thanks!"))
        after = await receive_turn(session)
    assert call.args == {"temperature": 18} and started.flag("turn_complete")
    assert started.transcript == "I've started that and will tell you when it's done."
    assert after.transcript == "You're welcome."  # SILENT produced no turn in between


async def test_a_barge_in_cancels_the_generic_brains_call_and_a_late_answer_is_ignored(
        make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(
        tools=[types.Tool(function_declarations=[types.FunctionDeclaration.model_validate(THERMOSTAT)])],
        realtime_input_config=types.RealtimeInputConfig(
            automatic_activity_detection=types.AutomaticActivityDetection(disabled=True)),
        output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator(recognition=False) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(turns=text("Set the thermostat to 22."))
            pending = await receive_turn(session, until=_call_or_end)
            await session.send_realtime_input(activity_start=types.ActivityStart())
            interrupted = await receive_turn(session)
            (call,) = pending.tool_calls
            await session.send_tool_response(function_responses=[types.FunctionResponse(
                id=call.id, name=call.name, response={"output": {"temperature": 22}})])
            await session.send_client_content(turns=text("Thanks!"))
            after = await receive_turn(session)
    cancelled = [m.tool_call_cancellation.ids for m in interrupted.messages if m.tool_call_cancellation]
    assert interrupted.flag("interrupted") and cancelled == [[call.id]]
    assert after.transcript == "You're welcome."  # the late answer led nowhere


@pytest.mark.parametrize("updates", ["legacy", "once"])
async def test_what_the_user_said_survives_a_resumed_session(make_emulator: Callable[..., Any],
                                                            updates: str) -> None:
    config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig(),
                                     output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator(resumption_updates=updates) as emu:
        client = client_for(emu)
        async with client.aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(turns=text("My favourite colour is green."))
            told = await receive_turn(session)
            if updates == "legacy":  # the handle that names the idle moment after the turn
                told.messages += (await receive_turn(session, until=lambda m: bool(
                    m.session_resumption_update and m.session_resumption_update.resumable))).messages
            handle = [u.new_handle for u in told.updates if u.resumable][-1]
            emu.faults.drop_now()
        config.session_resumption = types.SessionResumptionConfig(handle=handle)
        async with client.aio.live.connect(model=MODEL, config=config) as resumed:
            await resumed.send_client_content(turns=text("What is my favourite colour?"))
            asked = await receive_turn(resumed)
    assert told.transcript == "Got it: your favourite colour is green."
    assert asked.transcript == "Your favourite colour is green."
