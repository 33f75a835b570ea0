"""What a lost Live connection means: retry it, resume with a fresh session, or give up.

Pure classification of a WebSocket close code (or an HTTP status refusing the upgrade) and its
reason text. The table follows the close codes seen from the service (see
``docs/resilience.md``); only transient failures are worth a reconnect.
"""

from __future__ import annotations

from enum import Enum


class Disposition(Enum):
    TRANSIENT = "transient"
    """Reconnect (resume) with backoff: a drop, a server hiccup, quota, a normal close."""

    PERMANENT = "permanent"
    """No retry can fix it: an invalid setup, refused credentials, an unknown model."""

    STALE_HANDLE = "stale_handle"
    """The resumption handle is expired or unknown: start a fresh session, visibly."""

    EXPECTED_AFTER_GOAWAY = "expected_after_goaway"
    """The service ended the connection at the deadline it announced: resume, it is not a fault."""


# Close codes that say the network or the service hiccupped; a new connection may well work.
_TRANSIENT_CLOSES = frozenset({1000, 1001, 1006, 1011, 1012, 1013, 1014})
# Close codes that say our own frames were wrong (protocol error, bad data type, too big,
# missing extension) or the TLS handshake failed: resending the same thing fails the same way.
_PERMANENT_CLOSES = frozenset({1002, 1003, 1007, 1008, 1009, 1010, 1015})
# HTTP statuses refusing the upgrade that are worth retrying: timeout, quota, server side.
_TRANSIENT_HTTP = frozenset({408, 429})


def classify_close(code: int | None, reason: str = "", *, after_goaway: bool = False) -> Disposition:
    """Classify how a connection ended.

    ``code`` is the WebSocket close code, an HTTP status (100-599) when the upgrade itself was
    refused, or None for a raw connection loss with no close frame. ``after_goaway`` says a
    goAway was received on this connection before it ended.
    """
    lowered = reason.lower()
    if code is None:
        return Disposition.TRANSIENT
    if 100 <= code <= 599:
        return classify_http_status(code)
    if code == 1008 and "session not found" in lowered:
        return Disposition.STALE_HANDLE
    if code == 1011 and after_goaway and "deadline expired" in lowered:
        return Disposition.EXPECTED_AFTER_GOAWAY
    if code in _TRANSIENT_CLOSES:
        return Disposition.TRANSIENT
    if code in _PERMANENT_CLOSES:
        return Disposition.PERMANENT
    # Unknown or application codes (4000-4999): retrying is bounded by the attempt budget,
    # so a transient guess costs at most a few attempts, while a permanent guess could end a
    # conversation the service meant to keep.
    return Disposition.TRANSIENT


def classify_http_status(status: int) -> Disposition:
    """An HTTP refusal of the WebSocket upgrade: 401/403 (and other 4xx) permanent, 429/5xx transient."""
    if status in _TRANSIENT_HTTP or status >= 500:
        return Disposition.TRANSIENT
    return Disposition.PERMANENT


def should_reconnect(disposition: Disposition) -> bool:
    """Whether the connection should be re-established (resumed or fresh) at all."""
    return disposition is not Disposition.PERMANENT
