"""Start-up time of `voicecli --help` and of linting Laura: median (and p90) wall time of fresh processes.

Goal (issue 11): `voicecli lint-persona laura` <= 0.3 s, `voicecli --help` under it. Wall time, so a
loaded machine shows in it: the load average is printed beside the figures, and the runs of the two
commands are interleaved so both see the same load.

The commands run as an installed voicecli does, with its bytecode cached: where the environment turns
bytecode writing off (PYTHONDONTWRITEBYTECODE), every run would compile voicecli's sources again
(~40 ms), so the runs keep their bytecode in a temporary folder (PYTHONPYCACHEPREFIX) instead."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 15
BUDGET_S = 0.3
ROOT = Path(__file__).resolve().parent.parent
ENTRY = [sys.executable, "-c", "from voicecli.cli.main import run; run()"]
CASES = {
    "voicecli --help": [*ENTRY, "--help"],
    "voicecli lint-persona laura": [*ENTRY, "lint-persona", str(ROOT / "personas" / "laura.yaml")],
}


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process): CPU time hardly depends on what else runs."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def main() -> None:
    print(f"machine: {os.cpu_count()} cpus, Python {platform.python_version()}, {platform.system()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="voicecli-pycache-") as pycache:
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = pycache
        for argv in CASES.values():
            timed(argv, env)  # write the bytecode, warm the file cache
        times: dict[str, list[tuple[float, float]]] = {label: [] for label in CASES}
        for _ in range(RUNS):
            for label, argv in CASES.items():
                times[label].append(timed(argv, env))
    for label, runs in times.items():
        wall = sorted(w for w, _ in runs)
        median = statistics.median(wall)
        cpu = statistics.median(c for _, c in runs)
        verdict = "met" if median <= BUDGET_S else "NOT met"
        print(f"{label:30s} wall median {median * 1000:4.0f} ms (goal <= {BUDGET_S * 1000:.0f} ms: {verdict}), "
              f"p90 {wall[int(0.9 * (RUNS - 1))] * 1000:4.0f} ms; CPU median {cpu * 1000:4.0f} ms; {RUNS} runs")
    print(f"load average after: {os.getloadavg()[0]:.2f} (over ~2: other work shares the cores; figures noisier)")


if __name__ == "__main__":
    main()
