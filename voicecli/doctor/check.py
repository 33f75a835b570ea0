"""One check's result, and what a list of them means for the exit code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "warn", "fail"]

EXIT_PROBLEMS = 1
"""Exit code when any check fails; warnings alone exit 0 (talk works, perhaps not as well)."""


@dataclass(frozen=True)
class Check:
    """``fix`` says what to do; it is set for every warning and failure."""

    name: str
    status: Status
    detail: str
    fix: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # machine-readable facts for --json

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix,
                "data": self.data}


def passed(name: str, detail: str, **data: Any) -> Check:
    return Check(name, "ok", detail, None, data)


def warned(name: str, detail: str, fix: str, **data: Any) -> Check:
    return Check(name, "warn", detail, fix, data)


def failed(name: str, detail: str, fix: str, **data: Any) -> Check:
    return Check(name, "fail", detail, fix, data)


def exit_code(checks: Iterable[Check]) -> int:
    return EXIT_PROBLEMS if any(check.status == "fail" for check in checks) else 0
