"""Server frames -> events: every field, several in one frame, turn completion last."""

from __future__ import annotations

from google.genai import types

from voicecli import events as ev
from voicecli.live.translate import translate


def frame(payload: dict[str, object]) -> types.LiveServerMessage:
    return types.LiveServerMessage.model_validate(payload)


def test_one_frame_with_audio_transcripts_usage_and_turn_complete_keeps_order() -> None:
    message = frame({
        "server_content": {
            "model_turn": {"role": "model", "parts": [{"inline_data": {"mime_type": "audio/pcm;rate=24000",
                                                                        "data": b"\x01\x02"}}]},
            "output_transcription": {"text": "Hello"},
            "input_transcription": {"text": "hi", "finished": True},
            "turn_complete": True,
            "generation_complete": True,
        },
        "usage_metadata": {"prompt_token_count": 10, "response_token_count": 5, "total_token_count": 15},
    })
    events = translate(message)
    assert events == [
        ev.Transcript("user", "hi", True),
        ev.AgentAudio(b"\x01\x02"),
        ev.Transcript("agent", "Hello", False),
        ev.GenerationComplete(),
        ev.Usage(10, 5, 15),
        ev.ServerTurnComplete(),
    ]


def test_tool_calls_cancellation_goaway_and_resumption() -> None:
    message = frame({
        "tool_call": {"function_calls": [{"id": "c1", "name": "f", "args": {"x": 1}},
                                         {"id": "c2", "name": "g"}]},
        "tool_call_cancellation": {"ids": ["c0"]},
        "go_away": {"time_left": "1.500s"},
        "session_resumption_update": {"new_handle": "h", "resumable": True,
                                      "last_consumed_client_message_index": 7},
    })
    assert translate(message) == [
        ev.ToolCallsRequested((ev.ToolCallEvent("c1", "f", {"x": 1}), ev.ToolCallEvent("c2", "g", {}))),
        ev.ToolCallsCancelled(("c0",)),
        ev.GoAwayNotice(1.5),
        ev.ResumptionUpdate("h", True, 7),
    ]


def test_interrupted_and_unresumable_update() -> None:
    message = frame({"server_content": {"interrupted": True},
                     "session_resumption_update": {"resumable": False, "new_handle": ""}})
    assert translate(message) == [ev.ServerInterrupted(), ev.ResumptionUpdate(None, False, None)]


def test_grounding_metadata_becomes_the_sources_and_queries() -> None:
    message = frame({"server_content": {"grounding_metadata": {
        "web_search_queries": ["who won the chess championship"],
        "search_entry_point": {"rendered_content": "<div>chip</div>"},
        "grounding_chunks": [{"web": {"uri": "https://example.com/a", "title": "example.com"}},
                             {"web": {"uri": "https://example.org/b", "domain": "example.org"}},
                             {"retrieved_context": {"uri": "gs://not-web"}}],
    }, "generation_complete": True}})
    assert translate(message) == [
        ev.Grounding((ev.GroundingSource("example.com", "https://example.com/a"),
                      ev.GroundingSource("example.org", "https://example.org/b")),
                     ("who won the chess championship",)),
        ev.GenerationComplete(),
    ]


def test_empty_grounding_metadata_is_no_event() -> None:
    assert translate(frame({"server_content": {"grounding_metadata": {}}})) == []
