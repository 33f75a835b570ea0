"""What the runner asks a worker process to run: one conversation, as one line of JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

RUN_END = "run_end"  # the event a worker writes after a run's own events, with its exit code


@dataclass(frozen=True)
class TurnSpec:
    kind: str  # say, text or input
    value: str  # the words, or the WAV file's path
    pause_s: float = 0.0
    barge_in_s: float | None = None


@dataclass(frozen=True)
class RunSpec:
    persona: str  # the persona file's path
    turns: list[TurnSpec]
    run_dir: str  # the run's scratch folder: session log, audio when recorded, the tools' {run_dir}
    offline: bool = True
    backend: str | None = None
    model: str | None = None
    scenario: str | None = None  # offline: a path, "none", or None for the persona's own
    greeting: bool = True
    timeout_s: float = 120.0
    speed: float = 0.0  # the offline emulator's speech pace (0 = instant, 1 = real time)
    realtime: bool = False  # send user audio at the pace of speech
    record: bool = False  # keep the agent's and the user's audio in run_dir
    env: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> RunSpec:
        data: dict[str, Any] = json.loads(line)
        data["turns"] = [TurnSpec(**turn) for turn in data.get("turns", [])]
        return cls(**data)
