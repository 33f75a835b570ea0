"""Typed lines and push-to-talk events from stdin, as an asyncio stream.

On a terminal, keys arrive one at a time (``cbreak``, restored on the way out); from a pipe or a file,
text arrives as written and each line becomes a LineTyped, so ``--text`` can be scripted. The reader
never sets O_NONBLOCK on stdin: that flag is shared with stdout on a terminal and would break output.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
import threading
from types import TracebackType

from voicecli.terminal.keys import RELEASE_GAP, REPEAT_WINDOW, KeyDecoder, KeyEvent
from voicecli.terminal.mode import cbreak

_CHUNK = 4096


class KeyReader:
    """``async with KeyReader() as keys: async for event in keys: ...``

    ``partial`` is the line being typed (for the status line), ``talking`` whether a push-to-talk turn
    is open. ``talk_key=None`` turns push-to-talk off (every key types); it is always off when the input is
    not a terminal. ``interactive`` says whether it is one (keys one by one).
    """

    def __init__(
        self,
        fd: int | None = None,
        *,
        talk_key: str | None = " ",
        repeat_window: float = REPEAT_WINDOW,
        release_gap: float = RELEASE_GAP,
    ) -> None:
        self.fd = sys.stdin.fileno() if fd is None else fd
        self.decoder = KeyDecoder(talk_key, repeat_window=repeat_window, release_gap=release_gap)
        self.interactive = False
        self._queue: asyncio.Queue[KeyEvent | None] = asyncio.Queue()
        self._stack = contextlib.ExitStack()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._watching = False
        self._closed = False

    @property
    def partial(self) -> str:
        return self.decoder.partial

    @property
    def talking(self) -> bool:
        return self.decoder.talking

    async def __aenter__(self) -> KeyReader:
        self._loop = asyncio.get_running_loop()
        self.interactive = self._stack.enter_context(cbreak(self.fd))
        if not self.interactive:
            self.decoder.talk_key = None  # piped text: a line starting with a space is just text
        if stat.S_ISREG(os.fstat(self.fd).st_mode):
            # epoll cannot watch a regular file (it is always readable): read it from a thread.
            self._read_in_thread()
        else:
            try:
                self._loop.add_reader(self.fd, self._readable)
                self._watching = True
            except PermissionError:  # epoll refuses some devices (/dev/null): a thread reads them
                self._read_in_thread()
        return self

    def _read_in_thread(self) -> None:
        threading.Thread(target=self._read_blocking, name="voicecli-keys", daemon=True).start()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop_watching()
        if self._timer is not None:
            self._timer.cancel()
        self._stack.close()

    def __aiter__(self) -> KeyReader:
        return self

    async def __anext__(self) -> KeyEvent:
        event = await self.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def get(self) -> KeyEvent | None:
        """The next event; None once the input has ended and every event was taken."""
        if self._closed and self._queue.empty():
            return None
        event = await self._queue.get()
        if event is None:
            self._closed = True
        return event

    def _stop_watching(self) -> None:
        if self._watching and self._loop is not None:
            self._loop.remove_reader(self.fd)
            self._watching = False

    def _readable(self) -> None:
        try:
            data = os.read(self.fd, _CHUNK)
        except BlockingIOError:
            return
        except OSError:  # the terminal went away (EIO): treat as end of input
            data = b""
        self._data(data)

    def _read_blocking(self) -> None:
        assert self._loop is not None
        while True:
            try:
                data = os.read(self.fd, _CHUNK)
            except OSError:
                data = b""
            with contextlib.suppress(RuntimeError):  # the loop closed first
                self._loop.call_soon_threadsafe(self._data, data)
            if not data:
                return

    def _data(self, data: bytes) -> None:
        assert self._loop is not None
        now = self._loop.time()
        if not data:
            self._stop_watching()
            if not self.interactive:
                self._put(self.decoder.feed(b"\n", now))  # a last line without its newline still counts
            self._put(self.decoder.close(now))
            self._queue.put_nowait(None)
            return
        self._put(self.decoder.feed(data, now))

    def _tick(self) -> None:
        assert self._loop is not None
        self._timer = None
        self._put(self.decoder.poll(self._loop.time()))

    def _put(self, events: list[KeyEvent]) -> None:
        assert self._loop is not None
        for event in events:
            self._queue.put_nowait(event)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.decoder.deadline()
        if deadline is not None:
            # A hair past the deadline: poll() ends a held turn only once the gap is strictly exceeded.
            self._timer = self._loop.call_at(deadline + 0.005, self._tick)
