"""The stall and drift faults through the real SDK: what the client sees, and each recovery step."""

# Emulator and session contexts stay nested: the session needs the emulator's address.
# ruff: noqa: SIM117

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from google.genai import types

from voicecli.emulator import Emulator, Faults

from .conftest import MODEL, client_for, receive_turn

ADA = "You are Ada, a home assistant."
GREETING = "Hi, I'm Ada, a home assistant. How can I help you today?"
THERMOSTAT = {"name": "set_thermostat", "description": "Sets the thermostat to a temperature in degrees.",
              "parameters": {"type": "OBJECT", "properties": {"temperature": {"type": "NUMBER"}},
                             "required": ["temperature"]}}


def text(words: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=words)])


def config(**extra: Any) -> types.LiveConnectConfig:
    return types.LiveConnectConfig(system_instruction=ADA,
                                   output_audio_transcription=types.AudioTranscriptionConfig(), **extra)


def watch_stalls(faults: Faults) -> Callable[[int], Awaitable[None]]:
    """A wait (bounded) until the emulator has held back a number of turns."""
    changed = asyncio.Event()
    take = faults.take_stall

    def counted(stage: str) -> str | None:
        variant = take(stage)
        changed.set()
        return variant

    faults.take_stall = counted  # type: ignore[method-assign]

    async def reach(count: int) -> None:
        async with asyncio.timeout(20):
            while faults.stalls < count:
                changed.clear()
                await changed.wait()

    return reach


def sent_after_last_input(emu: Emulator) -> list[dict[str, Any]]:
    """Server frames recorded after the latest client frame."""
    last_in = max(i for i, record in enumerate(emu.record) if record["dir"] == "in")
    return [record for record in emu.record[last_in:] if record["dir"] == "out"]


@pytest.mark.parametrize("nudge", ["client_content", "realtime_whitespace"])
async def test_a_stalled_user_turn_gets_nothing_until_a_nudge(make_emulator: Callable[..., Any], nudge: str) -> None:
    async with make_emulator(recognition=False) as emu:
        emu.faults.stall(1, "after_user_turn")
        stalls_reach = watch_stalls(emu.faults)
        async with client_for(emu).aio.live.connect(model=MODEL, config=config()) as session:
            await session.send_client_content(turns=text("Hello"))
            await stalls_reach(1)
            silent = sent_after_last_input(emu)
            if nudge == "client_content":
                await session.send_client_content(turns=text("Are you still there?"))
            else:
                await session.send_realtime_input(text=" ")
            answered = await receive_turn(session)
    assert silent == []  # nothing at all after the user turn: no content, no error, the socket open
    assert answered.transcript == GREETING  # the held-back turn is what gets answered


async def test_an_empty_turn_complete_then_the_nudge_is_answered(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator(recognition=False) as emu:
        emu.faults.stall(1, "empty_turn_complete")
        async with client_for(emu).aio.live.connect(model=MODEL, config=config()) as session:
            await session.send_client_content(turns=text("Hello"))
            empty = await receive_turn(session)
            await session.send_client_content(turns=text("Hello?"))
            answered = await receive_turn(session)
    assert [m.server_content.turn_complete for m in empty.messages if m.server_content] == [True]
    assert not empty.audio and empty.transcript == ""
    assert answered.transcript == GREETING


async def test_a_stall_after_a_tool_response_goes_on_after_the_nudge(make_emulator: Callable[..., Any]) -> None:
    tools = [types.Tool(function_declarations=[types.FunctionDeclaration.model_validate(THERMOSTAT)])]
    async with make_emulator(recognition=False) as emu:
        emu.faults.stall(1, "after_tool_response")
        stalls_reach = watch_stalls(emu.faults)
        async with client_for(emu).aio.live.connect(model=MODEL, config=config(tools=tools)) as session:
            await session.send_client_content(turns=text("Set the thermostat to twenty one degrees."))
            called = await receive_turn(session, until=lambda m: m.tool_call is not None)
            (call,) = called.tool_calls
            await session.send_tool_response(function_responses=[types.FunctionResponse(
                id=call.id, name=call.name, response={"output": {"temperature": 21}})])
            await stalls_reach(1)
            silent = sent_after_last_input(emu)
            await session.send_client_content(turns=text("Hello? Did that work?"))
            answered = await receive_turn(session)
    assert silent == []
    assert answered.transcript.strip() == "Set thermostat: done. Temperature: 21."  # continues the turn


async def test_a_resume_with_the_latest_handle_recovers_when_the_nudge_stalls_too(
        make_emulator: Callable[..., Any]) -> None:
    """Every turn counts: with two stalled turns the nudge stalls as well; the resumed session answers."""
    resumable = config(session_resumption=types.SessionResumptionConfig())
    async with make_emulator(recognition=False, resumption_updates="once") as emu:
        emu.faults.stall(2, "after_user_turn")
        stalls_reach = watch_stalls(emu.faults)
        client = client_for(emu)
        async with client.aio.live.connect(model=MODEL, config=resumable) as session:
            first = await receive_turn(session, until=lambda m: m.session_resumption_update is not None)
            handle = first.updates[-1].new_handle
            await session.send_client_content(turns=text("Hello"))
            await stalls_reach(1)
            await session.send_client_content(turns=text("Are you still there?"))
            await stalls_reach(2)
        resumable.session_resumption = types.SessionResumptionConfig(handle=handle)
        async with client.aio.live.connect(model=MODEL, config=resumable) as resumed:
            await resumed.send_client_content(turns=text("Are you still there?"))
            answered = await receive_turn(resumed)
    assert answered.transcript == GREETING


async def test_a_fresh_session_after_a_stall_works(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator(recognition=False) as emu:
        emu.faults.stall(1)
        stalls_reach = watch_stalls(emu.faults)
        client = client_for(emu)
        async with client.aio.live.connect(model=MODEL, config=config()) as session:
            await session.send_client_content(turns=text("Hello"))
            await stalls_reach(1)
        async with client.aio.live.connect(model=MODEL, config=config()) as fresh:
            await fresh.send_client_content(turns=text("Hello"))
            answered = await receive_turn(fresh)
    assert answered.transcript == GREETING


async def test_drifted_replies_are_spoken_in_spanish_then_come_back(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator(recognition=False) as emu:
        emu.faults.drift(1)
        async with client_for(emu).aio.live.connect(model=MODEL, config=config()) as session:
            await session.send_client_content(turns=text("Hello"))
            drifted = await receive_turn(session)
            await session.send_client_content(turns=text("Hello"))
            after = await receive_turn(session)
    assert drifted.transcript == "Hola, soy Ada. ¿En qué puedo ayudarte hoy?"
    assert len(drifted.audio) > 24_000  # spoken, not only transcribed
    assert after.transcript == GREETING  # one reply drifted, as asked


async def test_repeating_the_language_directive_ends_the_drift(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator(recognition=False) as emu:
        emu.faults.drift(5)
        async with client_for(emu).aio.live.connect(model=MODEL, config=config()) as session:
            await session.send_client_content(turns=text("Hello"))
            drifted = await receive_turn(session)
            await session.send_client_content(turns=text("Please respond only in English."))
            steered = await receive_turn(session)
            await session.send_client_content(turns=text("Hello"))
            after = await receive_turn(session)
    assert drifted.transcript.startswith("Hola")
    assert steered.transcript == "Sorry about that. I'll speak English from now on."
    assert after.transcript == GREETING and emu.faults.drift_turns == 0


def test_fault_settings_are_checked() -> None:
    faults = Faults()
    with pytest.raises(ValueError, match="stall variant"):
        faults.stall(1, "sometimes")
    with pytest.raises(ValueError, match="drift language"):
        faults.drift(1, "xx")
    faults.stall(2, "after_tool_response")
    assert faults.take_stall("user_turn") is None  # only the variant's own moment counts
    assert faults.take_stall("tool_response") == "after_tool_response" and faults.stall_turns == 1
    faults.clear()
    assert faults.take_stall("tool_response") is None and faults.take_drift() is None
