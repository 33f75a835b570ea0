"""The real google-genai SDK against the emulator: every path the issue asks to prove."""

# Emulator and session contexts stay nested: the session needs the emulator's address.
# ruff: noqa: SIM117

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from google.genai import errors, types
from websockets.exceptions import InvalidStatus

from voicecli.emulator import Scenario
from voicecli.emulator.scenario import parse_scenario

from .conftest import LAURA, MODEL, client_for, model_for, receive_turn

PCM16K = "audio/pcm;rate=16000"
BACKENDS = ["developer", "vertex-express", "vertex-bearer"]


def text_turn(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


@pytest.mark.parametrize("backend", BACKENDS)
async def test_connect_and_greeting_on_every_backend(make_emulator: Callable[..., Any],
                                                      backend: str) -> None:
    async with make_emulator() as emu:
        client = client_for(emu, backend)
        config = types.LiveConnectConfig(response_modalities=[types.Modality.AUDIO],
                                         system_instruction="You are Ada, a home assistant.",
                                         output_audio_transcription=types.AudioTranscriptionConfig())
        async with client.aio.live.connect(model=model_for(backend), config=config) as session:
            assert (session.session_id is not None) == backend.startswith("vertex")
            await session.send_client_content(turns=text_turn("Hello"))
            turn = await receive_turn(session)
    # No scenario: the generic brain greets in the name and role the instruction gives.
    assert turn.transcript == "Hi, I'm Ada, a home assistant. How can I help you today?"
    assert len(turn.audio) > 24_000  # real speech, well over half a second at 24 kHz PCM16
    assert turn.flag("generation_complete") and turn.flag("turn_complete")
    assert turn.usage is not None and turn.usage.response_token_count  # both usage spellings parse
    # Typed words are TEXT tokens in, spoken words AUDIO tokens out.
    assert [(d.modality, bool(d.token_count)) for d in turn.usage.prompt_tokens_details or []] == [
        (types.MediaModality.TEXT, True)]
    assert [d.modality for d in turn.usage.response_tokens_details or []] == [types.MediaModality.AUDIO]


async def test_realtime_audio_turn_is_detected_recognised_and_answered(make_emulator: Callable[..., Any]) -> None:
    from voicecli.speech.tts import synthesize

    speech = synthesize("Please book me an appointment for next week.", rate=16_000)
    silence = bytes(16_000 * 2)  # one second
    async with make_emulator() as emu:
        config = types.LiveConnectConfig(input_audio_transcription=types.AudioTranscriptionConfig(),
                                         output_audio_transcription=types.AudioTranscriptionConfig())
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            audio = silence + speech + silence
            for start in range(0, len(audio), 640):
                await session.send_realtime_input(
                    audio=types.Blob(data=audio[start:start + 640], mime_type=PCM16K))
            turn = await receive_turn(session)
    heard = turn.input_transcript
    assert "appointment" in heard.lower()  # the words recognised, not a count of seconds
    fragments = [m for m in turn.messages if m.server_content and m.server_content.input_transcription]
    assert fragments[-1].server_content.input_transcription.finished
    first_reply = next(i for i, m in enumerate(turn.messages) if m.server_content and m.server_content.model_turn)
    assert turn.messages.index(fragments[-1]) < first_reply  # the words come before the reply
    # No tools declared: the generic brain reflects the words it was given.
    assert "appointment" in turn.transcript and "seconds" not in turn.transcript
    assert turn.usage is not None
    assert types.MediaModality.AUDIO in [d.modality for d in turn.usage.prompt_tokens_details or []]


async def test_activity_markers_with_manual_detection(make_emulator: Callable[..., Any]) -> None:
    from voicecli.speech.tts import synthesize

    speech = synthesize("Set the thermostat to twenty one degrees.", rate=16_000) + bytes(8_000)
    async with make_emulator(scenario=LAURA) as emu:
        config = types.LiveConnectConfig(
            realtime_input_config=types.RealtimeInputConfig(
                automatic_activity_detection=types.AutomaticActivityDetection(disabled=True)),
            input_audio_transcription=types.AudioTranscriptionConfig())
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await session.send_realtime_input(activity_start=types.ActivityStart())
            for start in range(0, len(speech), 3_200):
                await session.send_realtime_input(audio=types.Blob(data=speech[start:start + 3_200],
                                                                   mime_type=PCM16K))
            await session.send_realtime_input(activity_end=types.ActivityEnd())
            turn = await receive_turn(session, until=lambda m: m.tool_call is not None)
    # The scenario's step comes next whatever was said; the transcript is what was said, not its user: line.
    assert "21 degrees" in turn.input_transcript and "Ana" not in turn.input_transcript
    assert turn.tool_calls[0].name == "create_client_profile"


async def test_markers_with_automatic_detection_close_1007(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator() as emu, client_for(emu).aio.live.connect(model=MODEL) as session:
        await session.send_realtime_input(activity_start=types.ActivityStart())
        with pytest.raises(errors.APIError) as caught:
            await receive_turn(session)
    assert caught.value.code == 1007


async def test_laura_tool_calls_template_earlier_responses(make_emulator: Callable[..., Any]) -> None:
    lines = ["Ana Lopez, 1990-03-03, Texas", "stressed", "walks", "book", "yes"]
    responses = {
        "create_client_profile": {"client_id": "c-42"},
        "add_action_items_to_profile": {"client_id": "c-42", "added": 2},
        "get_next_appointment": {"client_id": "c-42", "appointment": None},
        "get_available_appointments": {"client_id": "c-42", "slots": ["2030-05-01T10:00:00", "later"]},
        "schedule_appointment": {"appointment_id": "a-1", "client_id": "c-42",
                                 "start": "2030-05-01T10:00:00", "confirmed": True},
    }
    seen: list[types.FunctionCall] = []
    async with make_emulator(scenario=LAURA) as emu:
        config = types.LiveConnectConfig(output_audio_transcription=types.AudioTranscriptionConfig())
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(turns=text_turn("Start the session."))
            await receive_turn(session)
            transcript = ""
            def call_or_end(m: types.LiveServerMessage) -> bool:
                return m.tool_call is not None or bool(m.server_content and m.server_content.turn_complete)

            for line in lines:
                await session.send_client_content(turns=text_turn(line))
                turn = await receive_turn(session, until=call_or_end)
                while turn.tool_calls:  # a turn may chain calls: each answered before the next
                    assert not turn.flag("turn_complete")  # blocking: the turn waits for the response
                    seen.extend(turn.tool_calls)
                    await session.send_tool_response(function_responses=[
                        types.FunctionResponse(id=c.id, name=c.name, response=responses[c.name or ""])
                        for c in turn.tool_calls])
                    turn = await receive_turn(session, until=call_or_end)
                transcript = turn.transcript
    by_name = {call.name: call.args for call in seen}
    assert by_name["create_client_profile"] == {"full_name": "Ana Lopez", "date_of_birth": "1990-03-03",
                                                "state": "TX"}
    assert by_name["add_action_items_to_profile"]["client_id"] == "c-42"
    assert by_name["schedule_appointment"] == {"client_id": "c-42", "start": "2030-05-01T10:00:00"}
    assert "2030-05-01T10:00:00" in transcript


def _non_blocking_scenario() -> Scenario:
    return parse_scenario({"steps": [{"say": "Looking it up.", "tool_calls": [{"name": "lookup", "args": {}}],
                                      "then": "Found {{ lookup.answer }}."}]}, "inline")


@pytest.mark.parametrize(("scheduling", "speaks"),
                         [("WHEN_IDLE", True), ("INTERRUPT", True), ("SILENT", False)])
async def test_non_blocking_call_honours_scheduling(make_emulator: Callable[..., Any], scheduling: str,
                                                    speaks: bool) -> None:
    declaration = types.FunctionDeclaration(name="lookup", behavior=types.Behavior.NON_BLOCKING)
    config = types.LiveConnectConfig(tools=[types.Tool(function_declarations=[declaration])],
                                     output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator(scenario=_non_blocking_scenario()) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(turns=text_turn("Look it up"))
            first = await receive_turn(session)
            assert first.tool_calls and first.flag("turn_complete")  # the turn ends without the result
            call = first.tool_calls[0]
            await session.send_tool_response(function_responses=[types.FunctionResponse(
                id=call.id, name="lookup", response={"answer": "forty-two"},
                scheduling=types.FunctionResponseScheduling(scheduling))])
            if speaks:
                follow = await receive_turn(session)
                assert follow.transcript == "Found forty-two."
            await session.send_client_content(turns=text_turn("Anything else?"))
            after = await receive_turn(session)
    assert after.transcript.startswith("I heard")  # SILENT produced no turn in between


async def test_barge_in_cancels_pending_calls(make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(realtime_input_config=types.RealtimeInputConfig(
        automatic_activity_detection=types.AutomaticActivityDetection(disabled=True)))
    async with make_emulator(scenario=LAURA) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(turns=text_turn("hi"))
            await receive_turn(session)
            await session.send_client_content(turns=text_turn("Ana Lopez"))
            pending = await receive_turn(session, until=lambda m: m.tool_call is not None)
            await session.send_realtime_input(activity_start=types.ActivityStart())
            interrupted = await receive_turn(session)
    call_id = pending.tool_calls[0].id
    assert interrupted.flag("interrupted") and interrupted.flag("turn_complete")
    cancelled = [m.tool_call_cancellation.ids for m in interrupted.messages if m.tool_call_cancellation]
    assert cancelled == [[call_id]]


async def test_go_away_then_deadline_close(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator(lifetime_s=1.0, go_away_lead_s=0.5) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL) as session:
            turn = await receive_turn(session, until=lambda m: m.go_away is not None)
            assert turn.messages[-1].go_away.time_left == "0.500s"
            with pytest.raises(errors.APIError) as caught:
                await receive_turn(session)
    assert caught.value.code == 1011
    assert "Deadline expired before operation could complete." in str(caught.value)


@pytest.mark.parametrize("backend", ["developer", "vertex-bearer"])
async def test_resume_by_handle_restores_the_session(make_emulator: Callable[..., Any], backend: str) -> None:
    """One update per connection (as gemini-3.8-live): the handle names the session, and a pending
    call survives the drop."""
    config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig(),
                                     output_audio_transcription=types.AudioTranscriptionConfig())
    async with make_emulator(scenario=LAURA, resumption_updates="once") as emu:
        client = client_for(emu, backend)
        async with client.aio.live.connect(model=model_for(backend), config=config) as session:
            await session.send_client_content(turns=text_turn("hi"))
            turn = await receive_turn(session)
            handle = [u.new_handle for u in turn.updates if u.resumable][-1]
            await session.send_client_content(turns=text_turn("Ana Lopez"))
            pending = await receive_turn(session, until=lambda m: m.tool_call is not None)
            emu.faults.drop_now()
        config.session_resumption = types.SessionResumptionConfig(handle=handle)
        async with client.aio.live.connect(model=model_for(backend), config=config) as resumed:
            call = pending.tool_calls[0]
            # The pending call survived the drop: its response is accepted on the new connection.
            await resumed.send_tool_response(function_responses=[types.FunctionResponse(
                id=call.id, name=call.name, response={"client_id": "c-1"})])
            follow = await receive_turn(resumed)
    assert follow.transcript.lstrip().startswith("Your profile is ready")  # it continues the turn


async def test_legacy_handles_resume_the_idle_moment_they_name(make_emulator: Callable[..., Any]) -> None:
    """Updates at idle points (older models): resuming returns to that point, and the turn asked
    again re-issues its call under the same id."""
    config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig())
    async with make_emulator(scenario=LAURA) as emu:
        client = client_for(emu)
        async with client.aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(turns=text_turn("hi"))
            await receive_turn(session)
            idle = await receive_turn(session, until=lambda m: bool(
                m.session_resumption_update and m.session_resumption_update.resumable))
            handle = idle.updates[-1].new_handle  # issued after the greeting turn completed
            await session.send_client_content(turns=text_turn("Ana Lopez"))
            first = await receive_turn(session, until=lambda m: m.tool_call is not None)
            emu.faults.drop_now()
        config.session_resumption = types.SessionResumptionConfig(handle=handle)
        async with client.aio.live.connect(model=MODEL, config=config) as resumed:
            await resumed.send_client_content(turns=text_turn("Ana Lopez"))
            again = await receive_turn(resumed, until=lambda m: m.tool_call is not None)
    assert [c.id for c in again.tool_calls] == [c.id for c in first.tool_calls]


async def test_stale_and_busy_handles_are_refused(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator() as emu:
        client = client_for(emu)
        with pytest.raises(errors.APIError) as stale:
            async with client.aio.live.connect(model=MODEL, config=types.LiveConnectConfig(
                    session_resumption=types.SessionResumptionConfig(handle="no-such-handle"))):
                pass
        assert stale.value.code == 1008 and "session not found" in str(stale.value)
        config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig())
        async with client.aio.live.connect(model=MODEL, config=config) as first:
            update = await receive_turn(first, until=lambda m: m.session_resumption_update is not None)
            handle = update.updates[0].new_handle
            with pytest.raises(errors.APIError) as busy:
                async with client.aio.live.connect(model=MODEL, config=types.LiveConnectConfig(
                        session_resumption=types.SessionResumptionConfig(handle=handle))):
                    pass
    assert busy.value.code == 1011


async def test_transparent_index_counts_per_connection_on_vertex(make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig(transparent=True))
    async with make_emulator() as emu:
        client = client_for(emu, "vertex-express")
        async with client.aio.live.connect(model=model_for("vertex-express"), config=config) as session:
            first = await receive_turn(session, until=lambda m: m.session_resumption_update is not None)
            assert first.updates[0].last_consumed_client_message_index == 0  # setup is index 0
            for _ in range(3):
                await session.send_realtime_input(audio=types.Blob(data=bytes(640), mime_type=PCM16K))
            await session.send_client_content(turns=text_turn("hello"))  # client frame 4
            turn = await receive_turn(session)
            # The idle update follows turnComplete, so the next receive() reads it.
            idle = await receive_turn(session, until=lambda m: m.session_resumption_update is not None)
            handle = idle.updates[0].new_handle
            assert [u.last_consumed_client_message_index for u in turn.updates + idle.updates] == [4, 4]
        config.session_resumption = types.SessionResumptionConfig(handle=handle, transparent=True)
        async with client.aio.live.connect(model=model_for("vertex-express"), config=config) as resumed:
            again = await receive_turn(resumed, until=lambda m: m.session_resumption_update is not None)
            await resumed.send_client_content(turns=text_turn("replayed"))
            replay = await receive_turn(resumed)
            replay.messages += (await receive_turn(
                resumed, until=lambda m: m.session_resumption_update is not None)).messages
    assert again.updates[0].last_consumed_client_message_index == 0
    assert replay.updates[-1].last_consumed_client_message_index == 1  # restarted on the new connection
    indexes = [r["index"] for r in emu.record if r["dir"] == "in"]
    assert indexes == [0, 1, 2, 3, 4, 0, 1]


@pytest.mark.parametrize("code", [1000, 1007, 1008, 1011])
async def test_close_codes_surface_as_api_error(make_emulator: Callable[..., Any], code: int) -> None:
    async with make_emulator() as emu, client_for(emu).aio.live.connect(model=MODEL) as session:
        emu.faults.close_now(code, f"closing with {code}")
        with pytest.raises(errors.APIError) as caught:
            await receive_turn(session)
    assert caught.value.code == code and f"closing with {code}" in str(caught.value)


async def test_drop_without_close_frame_is_1006(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator() as emu:
        emu.faults.drop_after(1)
        async with client_for(emu).aio.live.connect(model=MODEL) as session:
            await session.send_client_content(turns=text_turn("hi"))
            with pytest.raises(errors.APIError) as caught:
                await receive_turn(session)
    assert caught.value.code == 1006
    assert any(r["dir"] == "drop" for r in emu.record)


async def test_unknown_model_and_bad_key_are_refused_after_setup(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator(valid_keys=frozenset({"good"})) as emu:
        with pytest.raises(errors.APIError) as unknown:
            async with client_for(emu, key="good").aio.live.connect(model="gemini-0-nope"):
                pass
        with pytest.raises(errors.APIError) as bad_key:
            async with client_for(emu, key="bad").aio.live.connect(model=MODEL):
                pass
    assert unknown.value.code == 1008 and "is not found for API version" in str(unknown.value)
    assert bad_key.value.code == 1007 and "API key not valid" in str(bad_key.value)


@pytest.mark.parametrize("status", [401, 429])
async def test_http_refusals(make_emulator: Callable[..., Any], status: int) -> None:
    async with make_emulator() as emu:
        emu.faults.refuse(status)
        with pytest.raises(InvalidStatus) as caught:
            async with client_for(emu).aio.live.connect(model=MODEL):
                pass
        async with client_for(emu).aio.live.connect(model=MODEL):
            pass  # only the next upgrade was refused
    assert caught.value.response.status_code == status


async def test_vertex_bearer_not_accepted_is_http_401(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator(valid_keys=frozenset({"good-token"})) as emu:
        with pytest.raises(InvalidStatus) as caught:
            async with client_for(emu, "vertex-bearer", key="stale-token").aio.live.connect(
                    model=model_for("vertex-bearer")):
                pass
    assert caught.value.response.status_code == 401


async def test_malformed_frame_reaches_the_sdk_as_a_parse_error(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator() as emu, client_for(emu).aio.live.connect(model=MODEL) as session:
        emu.faults.malformed_now()
        with pytest.raises(ValueError, match="Failed to parse response"):
            await receive_turn(session)


async def test_compression_trims_and_usage_shows_it(make_emulator: Callable[..., Any]) -> None:
    config = types.LiveConnectConfig(context_window_compression=types.ContextWindowCompressionConfig(
        trigger_tokens=150, sliding_window=types.SlidingWindow(target_tokens=60)))
    prompts = []
    async with make_emulator() as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=config) as session:
            for text in ["one", "two", "three", "four"]:
                await session.send_client_content(turns=text_turn(text))
                turn = await receive_turn(session)
                assert turn.usage is not None
                prompts.append(turn.usage.prompt_token_count or 0)
    assert max(prompts) <= 150 + 10  # never far past the trigger: the window was cut
    assert prompts[1] > prompts[0]


async def test_records_written_as_json_lines(make_emulator: Callable[..., Any], tmp_path: Any) -> None:
    import json

    path = tmp_path / "frames.jsonl"
    async with make_emulator(record_file=path) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL) as session:
            await session.send_client_content(turns=text_turn("hi"))
            await receive_turn(session)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["dir"] == "in" and lines[0]["index"] == 0 and "setup" in lines[0]["frame"]
    assert lines[1]["frame"] == {"setupComplete": {}}
    audio = next(r for r in lines if "modelTurn" in r["frame"].get("serverContent", {}))
    assert audio["frame"]["serverContent"]["modelTurn"]["parts"][0]["inlineData"]["data"].endswith("bytes>")
    assert {r["conn"] for r in lines} == {1}
