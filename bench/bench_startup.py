"""Start-up time of `voicecli --help` and of linting Laura (median wall time of fresh processes)."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 10
BUDGET_S = 0.3
ROOT = Path(__file__).resolve().parent.parent
ENTRY = [sys.executable, "-c", "from voicecli.cli.main import run; run()"]
CASES = {
    "voicecli --help": [*ENTRY, "--help"],
    "voicecli lint-persona laura": [*ENTRY, "lint-persona", str(ROOT / "personas" / "laura.yaml")],
}


def median_seconds(argv: list[str]) -> float:
    subprocess.run(argv, capture_output=True, check=False)  # warm the file cache
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    print(f"machine: {os.cpu_count()} cpus, Python {platform.python_version()}, {platform.system()}")
    for label, argv in CASES.items():
        seconds = median_seconds(argv)
        verdict = "ok" if seconds < BUDGET_S else "over budget"
        print(
            f"{label:30s} median {seconds * 1000:5.0f} ms over {RUNS} runs: {verdict} (budget {BUDGET_S} s)"
        )


if __name__ == "__main__":
    main()
