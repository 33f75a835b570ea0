"""The queue of messages on their way to the Live service, shared by the conversation and the connection.

It stays in order and bounded. ``put()`` waits for room (scripted input, tool replies);
``offer()`` never waits, so the live microphone is never blocked: when the queue is full (the
connection is down for long) it drops the oldest audio frame instead, and counts it. Markers,
text and tool replies are never dropped.
"""

from __future__ import annotations

import asyncio
from collections import deque

from voicecli import events as ev
from voicecli.audio.format import OUTGOING_QUEUE_FRAMES

DEFAULT_MAXSIZE = OUTGOING_QUEUE_FRAMES  # 20 s of 20 ms frames


class OutgoingQueue:
    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        self._items: deque[ev.Outgoing] = deque()
        self._maxsize = maxsize
        self._changed = asyncio.Event()
        self.dropped_audio = 0

    def qsize(self) -> int:
        return len(self._items)

    def offer(self, message: ev.Outgoing) -> bool:
        """Queue without waiting; returns True when the oldest audio frame made room for it."""
        dropped = False
        if len(self._items) >= self._maxsize:
            for position, item in enumerate(self._items):
                if isinstance(item, ev.SendAudio):
                    del self._items[position]
                    self.dropped_audio += 1
                    dropped = True
                    break
        self._push(message)
        return dropped

    async def put(self, message: ev.Outgoing) -> None:
        while len(self._items) >= self._maxsize:
            self._changed.clear()
            await self._changed.wait()
        self._push(message)

    async def get(self) -> ev.Outgoing:
        while not self._items:
            self._changed.clear()
            await self._changed.wait()
        message = self._items.popleft()
        self._changed.set()  # a producer may be waiting for room
        return message

    def _push(self, message: ev.Outgoing) -> None:
        self._items.append(message)
        self._changed.set()
