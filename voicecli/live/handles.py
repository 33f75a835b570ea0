"""The session resumption handle worth resuming with."""

from __future__ import annotations

from collections.abc import Callable


class HandleStore:
    """Keeps the newest handle from a ``resumable: true`` update, and when it arrived.

    Updates with ``resumable: false`` (sent while the model generates or runs a tool) carry no
    usable handle and leave the stored one untouched: resuming from the older handle loses
    nothing, because what was sent since is still in the replay buffer.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._handle: str | None = None
        self._received_at: float | None = None

    @property
    def handle(self) -> str | None:
        return self._handle

    def update(self, new_handle: str | None, resumable: bool | None) -> bool:
        """Record a resumption update; True when its handle was stored."""
        if not resumable or not new_handle:
            return False
        self._handle = new_handle
        self._received_at = self._clock()
        return True

    def age_s(self) -> float | None:
        """Seconds since the stored handle arrived (for the status line), None without a handle."""
        if self._received_at is None:
            return None
        return max(0.0, self._clock() - self._received_at)

    def clear(self) -> None:
        """Forget the handle (it proved stale, or a fresh session starts)."""
        self._handle = None
        self._received_at = None
