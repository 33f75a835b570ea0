"""The two seams between the audio engine and a conversation: where frames come from, where replies go.

A conversation runs the same against a microphone and speaker or against WAV files.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, Self


class FrameSource(Protocol):
    """Yields exact 640-byte frames (16 kHz mono PCM16, 20 ms) inside ``async with``."""

    level_dbfs: float
    """The latest frame's level."""
    overflows: int
    """Blocks lost because capture outran the consumer (or the device reported an overflow)."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    def frames(self) -> AsyncIterator[bytes]: ...


class AudioSink(Protocol):
    """Plays 24 kHz mono PCM16 replies inside ``async with``."""

    @property
    def played_seconds(self) -> float:
        """How much of the current reply has been heard."""
        ...

    @property
    def audible(self) -> bool:
        """Whether anything is (about to be) coming out of the speaker."""
        ...

    @property
    def level_dbfs(self) -> float:
        """The level of what is being played now (SILENCE_DBFS when nothing is)."""
        ...

    @property
    def underflows(self) -> int: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    def play(self, pcm24k: bytes) -> None:
        """Queue audio of the current reply; never blocks."""
        ...

    def end_reply(self) -> None:
        """The reply is complete: pad its tail so the last syllable is heard."""
        ...

    def flush(self) -> float:
        """Barge-in: silence within one block, with a short fade; returns seconds of the reply heard."""
        ...

    async def drain(self) -> None:
        """Wait until everything queued has played."""
        ...
