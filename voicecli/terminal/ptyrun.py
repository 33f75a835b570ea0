"""Run a command in a pseudo-terminal and drive it like a person at a keyboard (for end-to-end tests).

The command gets the pty as its controlling terminal, in its own session, so Ctrl-C sent as a key
becomes SIGINT from the line discipline exactly as at a real terminal. The test keeps the slave side
open too, to read the terminal's settings (``attrs()``) while the command runs and after it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

CTRL_C = b"\x03"
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>78]")
ENTER = b"\r"


def _controlling_terminal() -> None:  # runs in the child, after setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyProcess:
    """``with PtyProcess([sys.executable, "app.py"]) as term: term.send("hi\\r"); term.expect("hi")``."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        rows: int = 24,
        cols: int = 100,
    ) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.initial_attrs = termios.tcgetattr(self.slave)
        self.buffer = b""  # everything the command wrote, as bytes
        self._position = 0  # how far expect() has consumed
        self.process = subprocess.Popen(
            list(argv),
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_controlling_terminal,  # noqa: PLW1509 - needed for a controlling terminal
            close_fds=True,
        )

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    @property
    def text(self) -> str:
        """Everything the command wrote so far, decoded."""
        return self.buffer.decode("utf-8", errors="replace")

    def attrs(self) -> list[Any]:
        """The terminal's current settings (``termios.tcgetattr`` on the slave side)."""
        return termios.tcgetattr(self.slave)

    def send(self, keys: str | bytes) -> None:
        data = keys.encode() if isinstance(keys, str) else keys
        os.write(self.master, data)

    def _pump(self, timeout: float) -> bool:
        """Read what is available within ``timeout``; False when nothing came."""
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0.0))
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            return False
        self.buffer += chunk
        return bool(chunk)

    def expect(self, pattern: str | bytes | re.Pattern[bytes], timeout: float = 10.0) -> re.Match[bytes]:
        """Wait for ``pattern`` (a regex) in the output after the previous match; TimeoutError with the output."""
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(
            pattern.encode() if isinstance(pattern, str) else pattern
        )
        end = time.monotonic() + timeout
        while True:
            match = regex.search(self.buffer, self._position)
            if match:
                self._position = match.end()
                return match
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{regex.pattern!r} not seen within {timeout} s; output:\n{self.text}")
            self._pump(min(remaining, 0.1))

    @property
    def plain_text(self) -> str:
        """Everything the command wrote, with terminal styles and cursor moves taken out."""
        return _ESCAPES.sub("", self.text)

    def expect_text(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        """Wait for ``pattern`` anywhere in ``plain_text`` (a redrawn live display interleaves its
        escapes with the words); TimeoutError with what was shown."""
        regex = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            match = regex.search(self.plain_text)
            if match:
                return match
            if time.monotonic() > end:
                raise TimeoutError(f"{pattern!r} not shown within {timeout} s; output:\n{self.plain_text}")
            self._pump(0.05)

    def expect_json(
        self, where: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        """The next line of output that is a JSON object (and satisfies ``where``)."""
        end = time.monotonic() + timeout
        while True:
            match = self.expect(rb"(?m)^\{.*\}\r?$", max(end - time.monotonic(), 0.0))
            with contextlib.suppress(ValueError):
                value = json.loads(match.group(0))
                if isinstance(value, dict) and (where is None or where(value)):
                    return value

    def wait(self, timeout: float = 10.0) -> int:
        """The exit status (negative: the signal that ended it), reading output meanwhile."""
        end = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > end:
                raise TimeoutError(f"still running after {timeout} s; output:\n{self.text}")
            self._pump(0.05)
        while self._pump(0.0):
            pass
        return self.process.returncode

    def signal(self, signum: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)
