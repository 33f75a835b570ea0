"""Defensive redaction of Google API keys from anything written to the session log.

The conversation engine never hands keys to the store; this is the second line of defence,
so a key pasted into a transcript or echoed in a tool result still never reaches disk.
"""

from __future__ import annotations

import json
import re
from typing import Any

GOOGLE_API_KEY = re.compile(r"AIza[0-9A-Za-z_-]{35}")
REDACTED = "[redacted-api-key]"


def redact(text: str) -> str:
    """``text`` with every string shaped like a Google API key replaced."""
    return GOOGLE_API_KEY.sub(REDACTED, text)


def redacted_json(value: Any) -> str:
    """``value`` as compact JSON with keys redacted.

    Key characters need no JSON escaping, so redacting the serialised text catches keys in
    both dictionary keys and values. Values JSON cannot represent are stored by ``str()``.
    """
    return redact(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))
