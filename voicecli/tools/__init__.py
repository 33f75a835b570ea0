"""Tool execution: resolve a persona's handler bindings and run calls with timeouts and dedupe."""

from voicecli.tools.runtime import ToolOutcome, ToolRuntime

__all__ = ["ToolOutcome", "ToolRuntime"]
