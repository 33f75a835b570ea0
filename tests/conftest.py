"""Test isolation shared by every test: no real credentials, a private data dir, a fixed terminal, and
the one virtual sound device kept to one test at a time, on a quiet machine, when the suite runs in
parallel (``make test``: pytest-xdist, one worker a core).

The sound device (scripts/virtual-audio.sh) is a single PulseAudio server: two tests on it at once hear
each other's playback, and its real-time checks (lost frames, underflows, the echo canceller's device
test, which skips on a busy machine) need the cores free. So a test that uses it (the ``audio`` marker or
the ``virtual_audio`` fixture) holds the run's machine lock exclusively while it runs, and every other
test holds it shared: device tests never overlap each other or anything else of the run, whatever the
``--dist`` mode. (xdist's ``--dist loadgroup`` is not used: with pytest 9.2 it silently groups nothing, and
it would not keep the other workers' load off the device tests anyway.) The lock files live in the run's
own base temp folder, so two separate pytest runs never wait for each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("GEMINI_", "GOOGLE_")) or name in {"SSL_CERT_FILE"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOICECLI_HOME", str(tmp_path / "voicecli-home"))
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERMINAL_WIDTH", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    yield


def uses_sound_device(item: pytest.Item) -> bool:
    return item.get_closest_marker("audio") is not None or "virtual_audio" in getattr(item, "fixturenames", ())


@contextlib.contextmanager
def _machine_lock(config: pytest.Config, *, exclusive: bool) -> Iterator[None]:
    """Shared for ordinary tests, exclusive for sound-device tests; a no-op outside an xdist worker.

    A test waiting for the exclusive lock holds the turnstile, so no new test starts meanwhile and the
    device tests cannot be starved by the other workers' stream of short tests.
    """
    if not hasattr(config, "workerinput") or not config.option.basetemp:
        yield  # one process: nothing else of this run can be running
        return
    run_dir = Path(config.option.basetemp).parent  # xdist gives each worker <run's basetemp>/popen-gwN
    with (run_dir / "turnstile.lock").open("a") as turnstile, (run_dir / "machine.lock").open("a") as machine:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(machine, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(machine, fcntl.LOCK_UN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    # Around setup, call and teardown, so the module and session fixtures a test starts or stops are inside too.
    with _machine_lock(item.config, exclusive=uses_sound_device(item)):
        return (yield)
