"""What one session-log write costs on the conversation's event loop.

Each write is a single autocommitted INSERT (WAL, synchronous=NORMAL). Prints the median and
p99 cost per call for each kind of write, and how long `logs show` takes to load a long session.
The log lives in a temporary directory on the same disk as the system temp dir.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from voicecli.store import SessionLog

CALLS = 2000


def measure(label: str, write: Callable[[int], None]) -> None:
    costs = []
    for index in range(CALLS):
        start = time.perf_counter()
        write(index)
        costs.append(time.perf_counter() - start)
    costs.sort()
    p99 = costs[int(len(costs) * 0.99)]
    print(f"{label:<16} median {statistics.median(costs) * 1e6:6.0f} us   p99 {p99 * 1e6:6.0f} us")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        log = SessionLog.open(Path(folder) / "sessions.sqlite3")
        session_id = log.start_session("laura", "offline", "bench")
        text = "You are booked for Tuesday at ten in the morning, and I noted your three action items."
        measure("add_transcript", lambda turn: log.add_transcript(session_id, "agent", text, turn=turn))
        measure(
            "add_tool_call",
            lambda turn: log.add_tool_call(session_id, f"call-{turn}", "book_appointment",
                                           {"day": "tuesday", "hour": 10}, {"booked": True}, True, 0.01,
                                           "done"),
        )
        measure("add_usage", lambda turn: log.add_usage(session_id, 1200 + turn, 80, 1280 + turn))
        measure("add_event", lambda turn: log.add_event(session_id, "reconnect", {"attempt": turn}))
        start = time.perf_counter()
        record = log.session(session_id)
        elapsed = time.perf_counter() - start
        print(f"load session     {elapsed * 1000:6.1f} ms for {len(record.entries) if record else 0} entries")
        log.close()


if __name__ == "__main__":
    main()
