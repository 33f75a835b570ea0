"""What every connection's speech shares: one pacing timer, and speech encoded once per line.

Real-time speech sends a chunk every ``chunk_ms`` on every connection. One ``asyncio.sleep`` per chunk
per connection is a timer each; the ``Pacer`` keeps one timer armed for the earliest deadline of all
connections and wakes every speaker due by then, so a hundred sessions cost one timer callback for
the chunks that fall due together. ``SpeechCache`` keeps the wire frames (JSON with base64 audio) of
recent lines, so a line said on many connections, or again, is synthesised and encoded (and framed) once.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import OrderedDict
from dataclasses import dataclass

from voicecli.emulator.wire import server_frame

# A deadline this close is served by the timer firing now: waking a little early is never late, and
# it lets deadlines that nearly coincide share one wake-up.
EARLY_S = 0.0005


class Pacer:
    """``await pacer.until(t)`` (loop time): one timer for every waiter of one event loop."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for = 0.0

    async def until(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        if deadline - EARLY_S <= loop.time():
            await asyncio.sleep(0)  # still a suspension point: other frames (a barge-in) get in between
            return
        waiter: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._heap, (deadline, next(self._order), waiter))
        if self._timer is None or deadline < self._armed_for:
            self._arm(loop)
        await waiter

    @property
    def waiting(self) -> int:
        return len(self._heap)

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._armed_for = self._heap[0][0]
        self._timer = loop.call_at(self._armed_for - EARLY_S, self._fire, loop)

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time() + EARLY_S
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, waiter = heapq.heappop(heap)
            if not waiter.done():  # a cancelled speaker (barge-in) left its waiter behind
                waiter.set_result(None)
        if heap:
            self._arm(loop)


@dataclass(frozen=True)
class ReadyFrame:
    """A server message encoded once for every connection: its JSON, and the whole WebSocket frame."""

    payload: bytes
    frame: bytes

    @classmethod
    def of(cls, payload: bytes) -> ReadyFrame:
        return cls(payload, server_frame(payload))


@dataclass(frozen=True)
class EncodedChunk:
    """One chunk of a spoken line as wire frames: the audio, and the words spoken by its end."""

    audio: ReadyFrame  # a serverContent.modelTurn message
    transcript: ReadyFrame | None  # an outputTranscription message, or None when no word ends in this chunk
    seconds: float


class SpeechCache:
    """Encoded lines, least recently used first out. Keyed by everything that shapes the frames."""

    def __init__(self, lines: int = 256) -> None:
        self._lines = lines
        self._cache: OrderedDict[tuple[str, str, int, int], tuple[EncodedChunk, ...]] = OrderedDict()

    def get(self, key: tuple[str, str, int, int]) -> tuple[EncodedChunk, ...] | None:
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
        return found

    def put(self, key: tuple[str, str, int, int], chunks: tuple[EncodedChunk, ...]) -> None:
        self._cache[key] = chunks
        self._cache.move_to_end(key)
        while len(self._cache) > self._lines:
            self._cache.popitem(last=False)
