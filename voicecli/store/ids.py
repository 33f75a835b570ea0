"""Session ids: readable, sortable by start time, unique enough to address by prefix."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case: no i, l, o, u
SUFFIX_LENGTH = 4


def new_session_id(started_at: float | None = None) -> str:
    """``YYYYMMDD-HHMMSS-xxxx``: UTC start second plus a random suffix."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if started_at is None else started_at))
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(SUFFIX_LENGTH))
    return f"{stamp}-{suffix}"
