"""A tiny MCP server for ``lint-persona --mcp``: one tool the Live API can declare, one it cannot fully."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server = MCPServer("labels")


@server.tool()
def add_label(text: str) -> str:
    """Add one label and return it."""
    return text


@server.tool()
def set_labels(labels: dict[str, str]) -> int:
    """Replace every label; the keys are free-form, which the Live API cannot declare."""
    return len(labels)


if __name__ == "__main__":
    server.run()
