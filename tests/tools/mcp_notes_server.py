"""A small MCP server for the tests: notes kept in memory, plus tools that sleep, fail and crash.

    python mcp_notes_server.py                 stdio
    python mcp_notes_server.py http PORT       streamable HTTP on 127.0.0.1:PORT/mcp
"""

from __future__ import annotations

import os
import sys
import time
from typing import Literal

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

server = MCPServer("notes")
notes: list[dict[str, object]] = []


class Reminder(BaseModel):
    """When and how to remind the user."""

    at: str = Field(description="When, as an ISO 8601 date and time", json_schema_extra={"format": "date-time"})
    channel: Literal["email", "sms"] = Field("email", description="How to reach the user")


@server.tool()
def add_note(text: str, tags: list[str] | None = None, reminder: Reminder | None = None) -> dict[str, object]:
    """Store a note and return its number.

    Args:
        text: What to remember, in the user's words.
        tags: Short labels for finding the note later.
        reminder: An optional reminder.
    """
    note = {"number": len(notes) + 1, "text": text, "tags": tags or [], "pid": os.getpid()}
    if reminder is not None:
        note["reminder"] = reminder.model_dump()
    notes.append(note)
    return note


@server.tool()
def list_notes() -> dict[str, object]:
    """Every note stored so far."""
    return {"notes": notes}


@server.tool()
def folder() -> str:
    """The server's working directory."""
    return os.getcwd()


@server.tool()
def slow(seconds: float) -> str:
    """Sleep for a while, then answer."""
    time.sleep(seconds)
    return "awake"


@server.tool()
def refuse(reason: str) -> str:
    """Always fails with the given reason."""
    raise ValueError(reason)


@server.tool()
def crash() -> str:
    """End the server process at once, as a crash would."""
    os._exit(3)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
