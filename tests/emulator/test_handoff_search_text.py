"""Handoffs, Google Search grounding and mid-session text through the real SDK and the generic brain."""

# Emulator and session contexts stay nested: the session needs the emulator's address.
# ruff: noqa: SIM117

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.genai import types

from voicecli.conversation.handoff import Said, opening_prompt, seed_context, summary
from voicecli.emulator.brain import GenericBrain
from voicecli.emulator.brain.handover import read_handover
from voicecli.persona.instructions import compile_instructions, function_declarations
from voicecli.persona.loader import load_persona

from .conftest import MODEL, client_for, receive_turn

PERSONAS = Path(__file__).resolve().parents[2] / "personas"


def text(words: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=words)])


def persona_config(name: str, extra_instruction: str = "") -> types.LiveConnectConfig:
    persona = load_persona(PERSONAS / f"{name}.yaml")
    declarations = [types.FunctionDeclaration.model_validate(d) for d in function_declarations(persona)]
    instruction = compile_instructions(persona) + (f"\n\n{extra_instruction}" if extra_instruction else "")
    return types.LiveConnectConfig(system_instruction=instruction,
                                   tools=[types.Tool(function_declarations=declarations)],
                                   output_audio_transcription=types.AudioTranscriptionConfig())


def _call_or_end(message: types.LiveServerMessage) -> bool:
    return message.tool_call is not None or bool(message.server_content and message.server_content.turn_complete)


@pytest.mark.parametrize("request_words", ["I'd like some career coaching.", "Can I talk to Laura, please?"])
async def test_the_front_desk_transfers_to_laura_when_asked(make_emulator: Callable[..., Any],
                                                            request_words: str) -> None:
    async with make_emulator(recognition=False) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=persona_config("front_desk")) as session:
            await session.send_client_content(turns=text(request_words))
            turn = await receive_turn(session, until=_call_or_end)
    (call,) = turn.tool_calls
    assert call.name == "transfer_to_laura" and call.args == {"reason": request_words}
    assert turn.transcript == "I'll connect you with Laura now."


async def test_laura_continues_a_handed_over_conversation_with_the_carried_facts(
        make_emulator: Callable[..., Any]) -> None:
    said = summary([Said("Sam", "Hi, I'm Sam at the front desk. What are you calling about today?"),
                    Said("user", "My name is Ana Lopez and I'd like some career coaching."),
                    Said("Sam", "I'll connect you with Laura now.")])
    seed = seed_context(from_agent="Sam", reason="the caller wants career coaching", said=said,
                        facts={"client_id": 3, "caller_name": "Ana"})
    async with make_emulator(recognition=False) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=persona_config("laura", seed)) as session:
            await session.send_client_content(turns=text(opening_prompt("Sam", "Laura")))
            opening = await receive_turn(session, until=_call_or_end)
            await session.send_client_content(turns=text("What is my name?"))
            recalled = await receive_turn(session, until=_call_or_end)
            await session.send_client_content(turns=text("Let's book a follow-up session."))
            booking = await receive_turn(session, until=_call_or_end)
    assert opening.transcript.startswith("I'm Laura, taking over from Sam.")
    assert "Hi" not in opening.transcript and "How can I help" not in opening.transcript  # no second greeting
    assert "name" not in opening.transcript.lower()  # the summary said it: not asked again
    assert recalled.transcript.startswith("Your name is Ana Lopez.")
    (call,) = booking.tool_calls
    assert call.name == "get_next_appointment" and call.args == {"client_id": "3"}  # the carried fact


def test_the_compact_handover_form_is_read_too() -> None:
    opening = ("Facts: client_id: 3; full_name: Ana Lopez\nSummary:\nUser: I want to update my resume.\n\n"
               "Continue without greeting.")
    handover = read_handover(opening)
    assert handover is not None
    assert handover.facts == {"client_id": "3", "full_name": "Ana Lopez"}
    assert handover.user_lines == ["I want to update my resume."]
    reply = GenericBrain("You are Laura, a career coach.").user_turn(opening)
    assert reply.text == ("I'm Laura, taking over from here. You told them you want to update your resume. "
                          "Where would you like to start?")


async def test_a_search_enabled_session_gets_grounding_metadata(make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(system_instruction="You are Ada, a home assistant.",
                                     tools=[types.Tool(google_search=types.GoogleSearch())],
                                     output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator(recognition=False) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(turns=text("Who won the chess championship this year?"))
            turn = await receive_turn(session)
    (grounding,) = [m.server_content.grounding_metadata for m in turn.messages
                    if m.server_content and m.server_content.grounding_metadata]
    query = "who won the chess championship this year"
    assert turn.transcript == (f"Here's what I found for {query}: the top results are from example.com and "
                               "example.org.")
    assert grounding.web_search_queries == [query]
    assert [(c.web.title, c.web.uri) for c in grounding.grounding_chunks or [] if c.web] == [
        ("example.com", "https://example.com/who-won-the-chess-championship-this-year"),
        ("example.org", "https://example.org/who-won-the-chess-championship-this-year")]
    assert grounding.search_entry_point and "google.com/search?q=who+won" in (
        grounding.search_entry_point.rendered_content or "")
    (support,) = grounding.grounding_supports or []
    assert support.segment and support.segment.text == turn.transcript and support.grounding_chunk_indices == [0, 1]
    order = [("grounding" if m.server_content.grounding_metadata else "audio" if m.server_content.model_turn
              else "done" if m.server_content.generation_complete else "other")
             for m in turn.messages if m.server_content]
    assert order.index("grounding") > max(i for i, kind in enumerate(order) if kind == "audio")
    assert order.index("grounding") < order.index("done")


async def test_without_google_search_a_question_gets_no_grounding(make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator(recognition=False) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(turns=text("Who won the chess championship this year?"))
            turn = await receive_turn(session)
    assert not any(m.server_content.grounding_metadata for m in turn.messages if m.server_content)
    assert turn.transcript.startswith("You asked who won the chess championship this year.")


@pytest.mark.parametrize("how", ["client_content", "realtime_text"])
async def test_a_typed_turn_mid_session_is_answered(make_emulator: Callable[..., Any], how: str) -> None:
    config = types.LiveConnectConfig(system_instruction="You are Ada, a home assistant.",
                                     output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator(recognition=False) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(turns=text("Hello"))
            await receive_turn(session)
            if how == "client_content":
                await session.send_client_content(turns=text("My favourite colour is green."))
            else:
                await session.send_realtime_input(text="My favourite colour is green.")
            typed = await receive_turn(session)
    assert typed.transcript == "Got it: your favourite colour is green."


async def test_a_heard_note_is_context_and_never_answered_or_merged(make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(system_instruction="You are Ada, a home assistant.",
                                     output_audio_transcription=types.AudioTranscriptionConfig())
    note = "[The user heard only: 'Hi, I'm Ada'. The rest of that reply was not heard.]"
    async with make_emulator(recognition=False) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(turns=text(note), turn_complete=False)
            await session.send_client_content(turns=text("I feel stuck at work."))
            answered = await receive_turn(session)
    outputs = [r for r in emu.record if r["dir"] == "out" and "serverContent" in r["frame"]]
    turns = [r for r in outputs if r["frame"]["serverContent"].get("turnComplete")]
    assert len(turns) == 1  # the note itself got no answer
    assert answered.transcript == "You said you feel stuck at work. Tell me more."  # not read as the user's words
