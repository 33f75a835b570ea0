"""A logged session as a document: Markdown for people, JSON for programs (``voicecli logs export``).

Both hold the transcript in order with tool calls, interruptions (what was heard), handoffs,
grounding sources and reconnects. Neither holds credentials: the log never stores any.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from voicecli.store.records import EventEntry, LogEntry, SessionRecord, ToolCallEntry, TranscriptEntry

ExportFormat = Literal["md", "json"]
# Events a reader of the transcript wants to see; the rest (usage, notices) stay in `logs show`.
_SHOWN_EVENTS = {"interrupted", "reconnect", "handoff", "reply_cut", "stall", "language_drift", "grounding"}


def export(record: SessionRecord, fmt: ExportFormat) -> str:
    return to_markdown(record) if fmt == "md" else to_json(record)


def to_json(record: SessionRecord) -> str:
    summary = record.summary
    document = {
        "session": {
            "id": summary.id,
            "persona": summary.persona,
            "backend": summary.backend,
            "model": summary.model,
            "started_at": _iso(summary.started_at),
            "duration_s": None if summary.duration is None else round(summary.duration, 2),
            "outcome": summary.outcome,
            "turns": summary.turns,
            "tool_calls": summary.tools,
            "tokens": summary.tokens,
        },
        "transcript": [item for entry in record.entries if (item := _json_item(entry, summary.started_at))],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _json_item(entry: LogEntry, started_at: float) -> dict[str, Any] | None:
    offset = round(max(0.0, entry.at - started_at), 3)
    if isinstance(entry, TranscriptEntry):
        item: dict[str, Any] = {"type": "line", "at_s": offset, "turn": entry.turn, "role": entry.role,
                                "text": entry.text}
        if entry.role == "agent" and entry.agent:
            item["agent"] = entry.agent
        if entry.interrupted:
            item["interrupted"] = True
            item["heard_text"] = entry.heard_text
        return item
    if isinstance(entry, ToolCallEntry):
        return {"type": "tool_call", "at_s": offset, "name": entry.name, "args": entry.args,
                "response": entry.response, "status": entry.status, "seconds": round(entry.seconds, 3)}
    if isinstance(entry, EventEntry) and entry.kind in _SHOWN_EVENTS:
        return {"type": entry.kind, "at_s": offset, **entry.detail}
    return None


def to_markdown(record: SessionRecord) -> str:
    summary = record.summary
    lines = [
        f"# {summary.persona}: session {summary.id}",
        "",
        f"- Started: {_iso(summary.started_at)}",
        f"- Backend and model: {summary.backend} / {summary.model}",
        f"- Outcome: {summary.outcome or 'unfinished'}"
        + ("" if summary.duration is None else f" after {summary.duration:.1f} s"),
        f"- Turns: {summary.turns}; tool calls: {summary.tools}; tokens: {summary.tokens:,}",
        "",
        "## Transcript",
        "",
    ]
    for entry in record.entries:
        text = _markdown_item(entry, summary.persona, summary.started_at)
        if text:
            lines.append(text)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _markdown_item(entry: LogEntry, persona: str, started_at: float) -> str | None:
    stamp = _stamp(entry.at - started_at)
    if isinstance(entry, TranscriptEntry):
        speaker = "User" if entry.role == "user" else (entry.agent or persona)
        if not entry.interrupted:
            return f"**{speaker}** ({stamp}): {entry.text}"
        heard = entry.heard_text or ""
        line = f"**{speaker}** ({stamp}): {heard} *[interrupted]*"
        if heard != entry.text:
            line += f"\n\n> Full reply, not heard: {entry.text}"
        return line
    if isinstance(entry, ToolCallEntry):
        response = "no result" if entry.response is None else f"`{_compact(entry.response)}`"
        return (f"*Tool* ({stamp}): `{entry.name}({_compact(entry.args)})` -> {response} "
                f"({entry.status}, {entry.seconds:.2f} s)")
    if isinstance(entry, EventEntry) and entry.kind in _SHOWN_EVENTS:
        return _markdown_event(entry, stamp)
    return None


def _markdown_event(entry: EventEntry, stamp: str) -> str:
    detail = entry.detail
    if entry.kind == "handoff":
        return f"*Handoff* ({stamp}): {detail.get('from', '?')} -> {detail.get('to', '?')}"
    if entry.kind == "grounding":
        sources = detail.get("sources") or []
        links = "; ".join(f"[{s.get('title') or s.get('uri')}]({s.get('uri')})" for s in sources)
        return f"*Sources* ({stamp}): {links}"
    if entry.kind == "interrupted":
        return f"*The user interrupted* ({stamp}) after {detail.get('heard_seconds', 0):.1f} s"
    return f"*{entry.kind.replace('_', ' ').capitalize()}* ({stamp}): {_compact(detail)}"


def _stamp(offset: float) -> str:
    minutes, seconds = divmod(max(0.0, offset), 60)
    return f"{int(minutes):02d}:{seconds:04.1f}"


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
