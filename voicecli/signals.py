"""SIGTERM ends a run the way Ctrl-C does: the conversation is cancelled, its log completed, a summary given."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class SigtermCancels:
    """Runs a coroutine that SIGTERM cancels, as asyncio cancels the main task on Ctrl-C.

    The handler is the event loop's (``add_signal_handler``), so it runs as an ordinary
    callback and wakes the loop at once; it works whatever SIGINT's disposition is (a job
    started in the background by a shell ignores SIGINT). ``received`` says whether it fired.
    """

    def __init__(self, on_signal: Callable[[], None] | None = None) -> None:
        self.received = False
        self._on_signal = on_signal

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        try:
            loop.add_signal_handler(signal.SIGTERM, self._handle, task)
        except (NotImplementedError, RuntimeError, ValueError):
            return await coro  # no signal support here (not the main thread, not Unix): SIGTERM kills
        try:
            return await coro
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    def _handle(self, task: asyncio.Task[Any]) -> None:
        self.received = True
        if self._on_signal is not None:
            self._on_signal()
        task.cancel()
