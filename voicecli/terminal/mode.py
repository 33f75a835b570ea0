"""Key-at-a-time terminal input that is always undone, however the program ends.

``cbreak()`` turns off line buffering and echo on a terminal so keys arrive one by one, and keeps
ISIG, so Ctrl-C still raises SIGINT (KeyboardInterrupt, or asyncio's cancellation of the main task)
and Ctrl-Z still suspends. The saved settings come back:
- when the block ends, normally or by an exception (a crashed task's exception passes through it);
- on SIGTERM and SIGHUP, from a handler that restores, then hands the signal on to the previous
  handler, or dies of it when there was none (so the exit status still says "killed by SIGTERM");
- at interpreter exit (atexit), for exits that skip the block (``sys.exit`` in a thread, a hung loop).
Only SIGKILL and ``os._exit`` escape; ``stty sane`` is the fix then. On a non-terminal it does nothing.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import termios
from collections.abc import Iterator
from types import FrameType
from typing import Any

_SIGNALS = (signal.SIGTERM, signal.SIGHUP)

_saved: dict[int, list[Any]] = {}  # fd -> its settings before the outermost cbreak()
_depth: dict[int, int] = {}
_previous: dict[int, Any] = {}  # signal -> the handler ours replaced
_atexit_registered = False


def restore_all() -> None:
    """Put every terminal this module changed back as it was. Idempotent; safe from a signal handler."""
    for fd, attrs in list(_saved.items()):
        with contextlib.suppress(termios.error, OSError):
            termios.tcsetattr(fd, termios.TCSADRAIN, attrs)
    _saved.clear()
    _depth.clear()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    restore_all()
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
    elif previous != signal.SIG_IGN:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _install_handlers() -> None:
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(restore_all)
        _atexit_registered = True
    for signum in _SIGNALS:
        if signum in _previous:
            continue
        try:
            _previous[signum] = signal.signal(signum, _on_signal)
        except ValueError:  # not the main thread: the block's finally and atexit still restore
            return


def _remove_handlers() -> None:
    for signum, previous in list(_previous.items()):
        # Someone (asyncio's add_signal_handler) may have replaced ours since: leave theirs alone.
        if signal.getsignal(signum) is _on_signal:
            with contextlib.suppress(ValueError):
                signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        del _previous[signum]


def _stdin_fd() -> int | None:
    try:
        return sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):  # no stdin, or one replaced by an object without a fd
        return None


def is_terminal(fd: int | None) -> bool:
    return fd is not None and os.isatty(fd)


@contextlib.contextmanager
def cbreak(fd: int | None = None) -> Iterator[bool]:
    """Keys one at a time, no echo, inside the block; yields whether the terminal mode was changed.

    ``fd`` defaults to stdin. Nested blocks on one fd share the outermost block's saved settings.
    """
    fd = _stdin_fd() if fd is None else fd
    if fd is None or not is_terminal(fd):
        yield False
        return
    if fd not in _saved:
        _saved[fd] = termios.tcgetattr(fd)
        _depth[fd] = 0
    _depth[fd] += 1
    _install_handlers()
    try:
        attrs = termios.tcgetattr(fd)
        attrs[3] &= ~(termios.ICANON | termios.ECHO)  # lflag; ISIG stays on: Ctrl-C is still SIGINT
        attrs[6][termios.VMIN] = 1
        attrs[6][termios.VTIME] = 0
        termios.tcsetattr(fd, termios.TCSANOW, attrs)  # TCSANOW: keys typed ahead are kept
        yield True
    finally:
        _depth[fd] = _depth.get(fd, 1) - 1
        if _depth[fd] <= 0 and fd in _saved:
            with contextlib.suppress(termios.error, OSError):
                termios.tcsetattr(fd, termios.TCSADRAIN, _saved.pop(fd))
            _depth.pop(fd, None)
        if not _saved:
            _remove_handlers()
