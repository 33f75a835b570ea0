"""Laura's tools: client profiles, action items and coaching appointments in a SQLite database.

Every handler takes the arguments dict and returns a JSON-ready dict. Bad arguments and refused
bookings come back as ``{"error": {"code": ..., "message": ...}}``; nothing raises.

The database is ``$VOICECLI_LAURA_DB``, else ``laura.sqlite3`` in the voicecli data directory.
``$VOICECLI_LAURA_NOW`` (ISO 8601) pins the clock, for tests and demos.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from voicecli.paths import data_dir

DB_ENV = "VOICECLI_LAURA_DB"
NOW_ENV = "VOICECLI_LAURA_NOW"
OFFICE = ZoneInfo("America/New_York")
SLOT_TIMES = (time(9, 30), time(11, 0), time(14, 0), time(16, 30))
SLOT_LENGTH = timedelta(minutes=45)
SLOTS_OFFERED = 4
LEAD_TIME = timedelta(hours=2)  # never offer a slot starting sooner than this
MAX_ACTION_ITEMS = 20
MAX_TEXT = 300

Result = dict[str, Any]

STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
}
_STATE_CODES = {name.lower(): code for code, name in STATES.items()}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS action_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id TEXT NOT NULL REFERENCES clients(client_id),
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS offered_slots (
    client_id TEXT NOT NULL REFERENCES clients(client_id),
    start_utc TEXT NOT NULL,
    offered_at TEXT NOT NULL,
    PRIMARY KEY (client_id, start_utc)
);
CREATE TABLE IF NOT EXISTS appointments (
    appointment_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(client_id),
    start_utc TEXT NOT NULL UNIQUE,
    end_utc TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""


class _Refused(Exception):
    """Internal: turns into a structured error result at the handler boundary."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _default_clock() -> datetime:
    pinned = os.environ.get(NOW_ENV)
    if pinned:
        moment = datetime.fromisoformat(pinned)
        return moment if moment.tzinfo else moment.replace(tzinfo=OFFICE)
    return datetime.now(UTC)


clock: Callable[[], datetime] = _default_clock
"""The current time (timezone-aware). Tests may replace it."""


def database_path() -> Path:
    explicit = os.environ.get(DB_ENV)
    return Path(explicit).expanduser() if explicit else data_dir() / "laura.sqlite3"


@contextmanager
def _database() -> Iterator[sqlite3.Connection]:
    path = database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=10)) as connection:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.executescript(_SCHEMA)
        with connection:  # one transaction per call
            yield connection


def _handler(function: Callable[[dict[str, Any]], Result]) -> Callable[[Any], Result]:
    """Validate that the arguments are a mapping and turn refusals into structured errors."""

    def wrapper(args: Any) -> Result:
        if not isinstance(args, dict):
            return _error("invalid_arguments", "arguments must be a JSON object")
        try:
            return function(args)
        except _Refused as refusal:
            return _error(refusal.code, refusal.message)
        except sqlite3.Error as error:
            return _error("storage_error", f"the appointment database failed: {error}")

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


def _error(code: str, message: str) -> Result:
    return {"error": {"code": code, "message": message}}


def _text(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _Refused("invalid_arguments", f"{name} is required and must be a non-empty string")
    if len(value) > MAX_TEXT:
        raise _Refused("invalid_arguments", f"{name} is longer than {MAX_TEXT} characters")
    return " ".join(value.split())


def _client(connection: sqlite3.Connection, args: dict[str, Any]) -> str:
    client_id = _text(args, "client_id")
    row = connection.execute("SELECT 1 FROM clients WHERE client_id = ?", (client_id,)).fetchone()
    if row is None:
        raise _Refused("unknown_client", f"no client with id {client_id!r}; create the profile first")
    return client_id


def _state_code(value: str) -> str:
    cleaned = value.strip().rstrip(".")
    if cleaned.upper() in STATES:
        return cleaned.upper()
    code = _STATE_CODES.get(" ".join(cleaned.lower().split()))
    if code is None:
        raise _Refused("invalid_state", f"{value!r} is not a US state name or two-letter code")
    return code


def _date_of_birth(value: str, today: date) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise _Refused("invalid_date_of_birth", f"date_of_birth must be YYYY-MM-DD, got {value!r}")
    try:
        born = date.fromisoformat(value)
    except ValueError:
        raise _Refused("invalid_date_of_birth", f"{value!r} is not a real calendar date") from None
    if born >= today:
        raise _Refused("invalid_date_of_birth", "date_of_birth must be in the past")
    if today.year - born.year > 120:
        raise _Refused("invalid_date_of_birth", f"{value!r} is more than 120 years ago")
    return born.isoformat()


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _office_text(utc_text: str) -> str:
    return datetime.fromisoformat(utc_text).astimezone(OFFICE).isoformat()


def _parse_start(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _Refused("invalid_start", f"start must be an ISO 8601 date and time, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=OFFICE)


@_handler
def create_client_profile(args: dict[str, Any]) -> Result:
    """Create a client; returns the new client id and the normalised details."""
    now = clock()
    full_name = _text(args, "full_name")
    problems: list[_Refused] = []
    state = born = ""
    try:
        state = _state_code(_text(args, "state"))
    except _Refused as refusal:
        problems.append(refusal)
    try:
        born = _date_of_birth(_text(args, "date_of_birth"), now.astimezone(OFFICE).date())
    except _Refused as refusal:
        problems.append(refusal)
    if problems:  # report both bad fields at once so the agent asks only once
        raise _Refused(problems[0].code, "; ".join(problem.message for problem in problems))
    client_id = f"cl_{uuid.uuid4().hex[:12]}"
    with _database() as connection:
        connection.execute(
            "INSERT INTO clients VALUES (?, ?, ?, ?, ?)", (client_id, full_name, born, state, _utc_text(now))
        )
    return {"client_id": client_id, "full_name": full_name, "date_of_birth": born, "state": state}


@_handler
def add_action_items_to_profile(args: dict[str, Any]) -> Result:
    """Append agreed action items; returns how many were added and the client's full list."""
    items = args.get("action_items")
    if not isinstance(items, list) or not items:
        raise _Refused("invalid_arguments", "action_items must be a non-empty list of strings")
    if len(items) > MAX_ACTION_ITEMS:
        raise _Refused("invalid_arguments", f"at most {MAX_ACTION_ITEMS} action items at a time")
    cleaned = [_text({"action item": item}, "action item") for item in items]
    now = _utc_text(clock())
    with _database() as connection:
        client_id = _client(connection, args)
        connection.executemany(
            "INSERT INTO action_items (client_id, text, created_at) VALUES (?, ?, ?)",
            [(client_id, item, now) for item in cleaned],
        )
        rows = connection.execute(
            "SELECT text FROM action_items WHERE client_id = ? ORDER BY id", (client_id,)
        ).fetchall()
    return {"client_id": client_id, "added": len(cleaned), "action_items": [row[0] for row in rows]}


@_handler
def get_next_appointment(args: dict[str, Any]) -> Result:
    """The client's next upcoming appointment, or null."""
    now = _utc_text(clock())
    with _database() as connection:
        client_id = _client(connection, args)
        row = connection.execute(
            "SELECT appointment_id, start_utc, end_utc FROM appointments"
            " WHERE client_id = ? AND start_utc >= ? ORDER BY start_utc LIMIT 1",
            (client_id, now),
        ).fetchone()
    appointment = (
        {"appointment_id": row[0], "start": _office_text(row[1]), "end": _office_text(row[2])}
        if row
        else None
    )
    return {"client_id": client_id, "appointment": appointment}


def _upcoming_slots(now: datetime) -> Iterator[datetime]:
    """Weekday slot starts in New York time, from ``now + LEAD_TIME`` on."""
    earliest = now + LEAD_TIME
    day = earliest.astimezone(OFFICE).date()
    for offset in range(60):
        current = day + timedelta(days=offset)
        if current.weekday() >= 5:
            continue
        for slot_time in SLOT_TIMES:
            start = datetime.combine(current, slot_time, tzinfo=OFFICE)
            if start >= earliest:
                yield start


@_handler
def get_available_appointments(args: dict[str, Any]) -> Result:
    """A few open upcoming slots; each is recorded as offered to this client."""
    now = clock()
    with _database() as connection:
        client_id = _client(connection, args)
        booked = {row[0] for row in connection.execute("SELECT start_utc FROM appointments")}
        slots: list[datetime] = []
        for start in _upcoming_slots(now):
            if _utc_text(start) not in booked:
                slots.append(start)
            if len(slots) == SLOTS_OFFERED:
                break
        connection.executemany(
            "INSERT OR REPLACE INTO offered_slots VALUES (?, ?, ?)",
            [(client_id, _utc_text(slot), _utc_text(now)) for slot in slots],
        )
    return {"client_id": client_id, "slots": [slot.isoformat() for slot in slots]}


@_handler
def schedule_appointment(args: dict[str, Any]) -> Result:
    """Book an offered, free, future slot for the client."""
    now = clock()
    start = _parse_start(_text(args, "start"))
    start_utc = _utc_text(start)
    with _database() as connection:
        client_id = _client(connection, args)
        if start <= now:
            raise _Refused("slot_in_past", f"{start.isoformat()} is in the past")
        offered = connection.execute(
            "SELECT 1 FROM offered_slots WHERE client_id = ? AND start_utc = ?", (client_id, start_utc)
        ).fetchone()
        if offered is None:
            raise _Refused(
                "slot_not_offered",
                f"{start.isoformat()} was not offered to this client; call get_available_appointments first",
            )
        taken = connection.execute("SELECT client_id FROM appointments WHERE start_utc = ?", (start_utc,))
        if taken.fetchone() is not None:
            raise _Refused("slot_taken", f"{start.isoformat()} is already booked; offer another slot")
        appointment_id = f"ap_{uuid.uuid4().hex[:12]}"
        end_utc = _utc_text(start + SLOT_LENGTH)
        try:
            connection.execute(
                "INSERT INTO appointments VALUES (?, ?, ?, ?, ?)",
                (appointment_id, client_id, start_utc, end_utc, _utc_text(now)),
            )
        except sqlite3.IntegrityError:  # another booking won the race for this slot
            raise _Refused("slot_taken", f"{start.isoformat()} was just booked; offer another slot") from None
    return {
        "appointment_id": appointment_id,
        "client_id": client_id,
        "start": _office_text(start_utc),
        "end": _office_text(end_utc),
        "confirmed": True,
    }
