"""SDK ``LiveServerMessage`` -> voicecli events. Pure: every field of a frame is handled, in order."""

from __future__ import annotations

from google.genai import types

from voicecli import events as ev
from voicecli.live.goaway import parse_time_left

ServerEvent = (
    ev.AgentAudio
    | ev.Transcript
    | ev.GenerationComplete
    | ev.ServerInterrupted
    | ev.ServerTurnComplete
    | ev.ToolCallsRequested
    | ev.ToolCallsCancelled
    | ev.GoAwayNotice
    | ev.ResumptionUpdate
    | ev.Usage
    | ev.ReplyCut
    | ev.Grounding
)

def translate(message: types.LiveServerMessage) -> list[ServerEvent]:
    out: list[ServerEvent] = []
    content = message.server_content
    if content is not None:
        if content.input_transcription and content.input_transcription.text:
            out.append(ev.Transcript("user", content.input_transcription.text,
                                     bool(content.input_transcription.finished)))
        if content.model_turn and content.model_turn.parts:
            for part in content.model_turn.parts:
                if part.inline_data and part.inline_data.data and not part.thought:
                    out.append(ev.AgentAudio(part.inline_data.data))
        if content.output_transcription and content.output_transcription.text:
            out.append(ev.Transcript("agent", content.output_transcription.text,
                                     bool(content.output_transcription.finished)))
        grounding = _grounding(content.grounding_metadata)
        if grounding is not None:
            out.append(grounding)
        if content.interrupted:
            out.append(ev.ServerInterrupted())
        if content.generation_complete:
            out.append(ev.GenerationComplete())
    if message.tool_call and message.tool_call.function_calls:
        calls = tuple(
            ev.ToolCallEvent(call.id or "", call.name or "", dict(call.args or {}))
            for call in message.tool_call.function_calls
        )
        out.append(ev.ToolCallsRequested(calls))
    if message.tool_call_cancellation and message.tool_call_cancellation.ids:
        out.append(ev.ToolCallsCancelled(tuple(message.tool_call_cancellation.ids)))
    if message.go_away is not None:
        out.append(ev.GoAwayNotice(parse_time_left(message.go_away.time_left)))
    update = message.session_resumption_update
    if update is not None:
        out.append(ev.ResumptionUpdate(update.new_handle or None, bool(update.resumable),
                                       update.last_consumed_client_message_index))
    usage = message.usage_metadata
    if usage is not None:
        out.append(ev.Usage(usage.prompt_token_count or 0, usage.response_token_count or 0,
                            usage.total_token_count or 0))
    # Turn completion goes last: everything else in the frame belongs to the turn it ends.
    if content is not None and content.turn_complete:
        out.append(ev.ServerTurnComplete())
    return out


def _grounding(metadata: types.GroundingMetadata | None) -> ev.Grounding | None:
    """The web sources and search queries of a grounded answer; None when there are neither."""
    if metadata is None:
        return None
    sources = tuple(
        ev.GroundingSource(chunk.web.title or chunk.web.domain or chunk.web.uri or "", chunk.web.uri or "")
        for chunk in metadata.grounding_chunks or () if chunk.web is not None and (chunk.web.uri or chunk.web.title)
    )
    queries = tuple(query for query in metadata.web_search_queries or () if query)
    return ev.Grounding(sources, queries) if sources or queries else None
