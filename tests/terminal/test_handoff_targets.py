"""A handoff target's MCP tools are ready before its agent takes over (talk opens them at start-up)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest
import yaml

from voicecli.persona import load_persona
from voicecli.talk import HandoffTargets

SERVER = Path(__file__).resolve().parents[1] / "tools" / "mcp_notes_server.py"


async def test_the_targets_tools_come_from_its_mcp_server(tmp_path: Path) -> None:
    pytest.importorskip("mcp")
    (tmp_path / "desk.yaml").write_text(yaml.safe_dump({
        "persona": {"name": "Desk"}, "rules": [{"instructions": "Greet and transfer."}],
        "handoffs": [{"to": "notes.yaml", "when": "the user wants to take notes"}]}))
    (tmp_path / "notes.yaml").write_text(yaml.safe_dump({
        "persona": {"name": "Nora"}, "rules": [{"instructions": "Keep notes."}],
        "handoffs": [{"to": "desk.yaml", "when": "the user is done"}],  # a loop: each file is opened once
        "mcp_servers": [{"name": "notes", "command": [sys.executable, str(SERVER)],
                         "tools": [{"name": "add_note", "when": "the user asks to remember something"}]}]}))
    desk = load_persona(tmp_path / "desk.yaml")
    targets = HandoffTargets()
    async with contextlib.AsyncExitStack() as stack:
        await targets.open(desk, stack, [])
        nora = targets.load(desk, desk.handoffs[0])
        assert "add_note" in [tool.name for tool in nora.tools]
        back = targets.load(nora, nora.handoffs[0])
        assert back.name == "Desk"
    plain = load_persona(tmp_path / "notes.yaml")
    assert "add_note" not in [tool.name for tool in plain.tools]  # loaded without the servers: not there
