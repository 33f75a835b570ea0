"""Compare a tool call with what a test expects of it; every mismatch is said in words, with the actual value."""

from __future__ import annotations

import json
import re
from typing import Any

from voicecli.persona_tests.model import ToolExpect
from voicecli.persona_tests.record import ToolCall


def call_mismatch(expect: ToolExpect, call: ToolCall) -> str | None:
    """None when ``call`` is what ``expect`` asks for; otherwise why not."""
    if call.name != expect.name:
        return f"it called {call.name}"
    if expect.args is not None:
        mismatch = args_mismatch(expect.args, call.args, expect.args_match)
        if mismatch is not None:
            return mismatch
    if expect.ok is True and call.ok is not True:
        return f"it failed: {call.error_text()}"
    if expect.ok is False and call.ok is not False:
        return "it succeeded, and the test expects it to fail"
    return None


def args_mismatch(expected: dict[str, Any], actual: Any, mode: str) -> str | None:
    """Where ``actual`` arguments differ from ``expected`` (exact, subset or pattern), or None."""
    return _mismatch(expected, actual, mode, "args")


def _mismatch(expected: Any, actual: Any, mode: str, where: str) -> str | None:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected a mapping, got {_show(actual)}"
        for key, value in expected.items():
            if key not in actual:
                return f"{where}.{key}: missing (the call has {', '.join(map(str, actual)) or 'no arguments'})"
            found = _mismatch(value, actual[key], mode, f"{where}.{key}")
            if found is not None:
                return found
        if mode == "exact" and set(actual) - set(expected):
            extra = sorted(set(actual) - set(expected))[0]
            return f"{where}.{extra}: not expected (exact match), got {_show(actual[extra])}"
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{where}: expected {_show(expected)}, got {_show(actual)}"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found = _mismatch(want, got, mode, f"{where}[{index}]")
            if found is not None:
                return found
        return None
    if mode == "pattern" and isinstance(expected, str):
        text = actual if isinstance(actual, str) else json.dumps(actual)
        if re.fullmatch(expected, text) is None:
            return f"{where}: {_show(actual)} does not match /{expected}/"
        return None
    if not _same(expected, actual):
        return f"{where}: expected {_show(expected)}, got {_show(actual)}"
    return None


def _same(expected: Any, actual: Any) -> bool:
    # YAML and JSON numbers meet as int or float; a boolean is never a number here.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return bool(expected == actual)


def _show(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
