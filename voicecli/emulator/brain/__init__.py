"""A generic agent for the emulator: follows the session's system instruction and declared tools.

Pure and deterministic; it imports nothing else of voicecli. See ``docs/generic-brain.md``.
"""

from voicecli.emulator.brain.generic import GenericBrain, Reply, ToolCall

__all__ = ["GenericBrain", "Reply", "ToolCall"]
