"""Helpers for persona-test tests: event streams written by hand, and test files written to a folder."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from voicecli.persona_tests.expectations import PersonaFacts
from voicecli.persona_tests.loader import TestCase, load_suite
from voicecli.persona_tests.record import RunRecord, read_events

LAURA_FACTS = PersonaFacts(
    name="Laura",
    language="en-US",
    output_languages=("en-US",),
    tools=("create_client_profile", "add_action_items_to_profile", "get_next_appointment",
           "get_available_appointments", "schedule_appointment", "handoff"),
)


class Stream:
    """An event stream as a scripted ``talk --json`` run emits it, built turn by turn."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = [{"type": "session", "id": "s1", "persona": "Laura"}]
        self._turns = 0
        self._user_turns = 0
        self._calls = 0

    def agent(self, text: str, *, latency_ms: float | None = None, complete: bool = True) -> Stream:
        words = text.split()
        for end in range(1, len(words) + 1):  # lines grow word by word, as transcripts do
            self.events.append({"type": "transcript", "role": "agent", "text": " ".join(words[:end])})
        if complete:
            self.complete(latency_ms)
        return self

    def complete(self, latency_ms: float | None = None) -> Stream:
        self._turns += 1
        self.events.append({"type": "turn_complete", "turn": self._turns, "latency_ms": latency_ms})
        return self

    def user(self, text: str, *, heard: bool = True) -> Stream:
        self._user_turns += 1
        self.events.append({"type": "script_turn", "turn": self._user_turns, "label": text})
        if heard:
            self.events.append({"type": "transcript", "role": "user", "text": text, "final": True})
        return self

    def call(self, name: str, args: dict[str, Any] | None = None, *, ok: bool = True,
             result: Any = None) -> Stream:
        self._calls += 1
        call_id = f"call-{self._calls}"
        self.events.append({"type": "tool_call", "id": call_id, "name": name, "args": args or {}})
        if result is None:
            result = {"output": {"done": True}} if ok else {"error": {"type": "tool_error", "code": "broken",
                                                                      "message": "it broke"}}
        self.events.append({"type": "tool_result", "id": call_id, "name": name, "ok": ok, "result": result})
        return self

    def interrupted(self) -> Stream:
        self.events.append({"type": "interrupted", "heard_seconds": 0.4, "heard_text": "Hi"})
        return self

    def error(self, message: str, exit_code: int) -> Stream:
        self.events.append({"type": "error", "message": message, "exit_code": exit_code})
        return self

    def record(self, exit_code: int = 0, duration_s: float = 3.0) -> RunRecord:
        events = [*self.events, {"type": "summary", "outcome": "completed", "duration_s": duration_s}]
        return read_events(events, exit_code)


@pytest.fixture
def stream() -> Stream:
    return Stream()


class CaseFiles:
    """Writes a test file (and an empty persona beside it) and loads one of its cases."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, text: str, name: str = "kim.test.yaml") -> Path:
        path = self.folder / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def case(self, text: str, index: int = 0) -> TestCase:
        return load_suite(self.write(text)).cases[index]


@pytest.fixture
def files(tmp_path: Path) -> CaseFiles:
    return CaseFiles(tmp_path)
