"""US states (and DC): found by name in any case, or by two-letter code written in capitals."""

from __future__ import annotations

import re

STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana",
    "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}
# Longest names first, so "West Virginia" wins over "Virginia".
_NAMES = re.compile(
    r"\b(" + "|".join(sorted((re.escape(name) for name in STATES.values()), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_CODE = re.compile(r"\b([A-Z]{2})\b")
_CODES_BY_NAME = {name.lower(): code for code, name in STATES.items()}
# Capitalised words that are far more often words than state codes.
_NOT_CODES = frozenset({"OK", "HI", "ME", "IN", "OR"})


def find_state(text: str) -> tuple[str, str] | None:
    """The first US state named in the text, as (name, code)."""
    named = _NAMES.search(text)
    coded = next((m for m in _CODE.finditer(text) if m.group(1) in STATES and m.group(1) not in _NOT_CODES),
                 None)
    if named and (coded is None or named.start() <= coded.start()):
        code = _CODES_BY_NAME[named.group(1).lower()]
        return STATES[code], code
    if coded:
        return STATES[coded.group(1)], coded.group(1)
    return None
