"""The one place that dedupes tool call ids: a call id runs at most once, however often it is asked for.

A resumed Live session may ask again for a call it asked for before the drop, with the same id. The
ledger answers a repeat from the first outcome (awaiting it while it is still running) instead of
running the handler again. A call that was cancelled left no outcome: asked for again, it runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, Literal, TypeVar

T = TypeVar("T")

CallState = Literal["new", "running", "done"]


class CallLedger(Generic[T]):
    def __init__(self) -> None:
        self._outcomes: dict[str, T] = {}
        self._in_flight: dict[str, asyncio.Future[T]] = {}

    def state(self, call_id: str) -> CallState:
        if call_id in self._outcomes:
            return "done"
        return "running" if call_id in self._in_flight else "new"

    def outcome(self, call_id: str) -> T | None:
        return self._outcomes.get(call_id)

    def record(self, call_id: str, outcome: T) -> None:
        """An outcome reached without running anything (a call the conversation answers itself)."""
        self._outcomes.setdefault(call_id, outcome)

    async def run(self, call_id: str, start: Callable[[], Awaitable[T]], *, name: str = "") -> tuple[T, bool]:
        """(outcome, duplicate): runs ``start()`` for a new call id, else answers from the first run.

        Never runs twice; cancelling this await cancels the run (a duplicate waiting on a run in
        flight gives up alone: the original caller's run goes on).
        """
        finished = self._outcomes.get(call_id)
        if finished is not None:
            return finished, True
        running = self._in_flight.get(call_id)
        if running is not None:
            return await asyncio.shield(running), True
        task = asyncio.ensure_future(start())
        if name and isinstance(task, asyncio.Task):
            task.set_name(name)
        self._in_flight[call_id] = task
        try:
            outcome = await task
        finally:
            del self._in_flight[call_id]
        self._outcomes[call_id] = outcome
        return outcome, False
