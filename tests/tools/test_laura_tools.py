"""Laura's real tools against a temporary SQLite database, with a pinned clock."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from voicecli.paths import personas_dir

NOW = "2026-03-04T10:00:00-05:00"  # a Wednesday morning in New York


@pytest.fixture
def laura(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("VOICECLI_LAURA_DB", str(tmp_path / "laura.sqlite3"))
    monkeypatch.setenv("VOICECLI_LAURA_NOW", NOW)
    spec = importlib.util.spec_from_file_location("laura_tools_under_test", personas_dir() / "laura_tools.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _client(laura: ModuleType, name: str = "Maria Lopez") -> str:
    result = laura.create_client_profile(
        {"full_name": name, "date_of_birth": "1990-05-17", "state": "new york"}
    )
    client_id: str = result["client_id"]
    return client_id


def _code(result: dict[str, Any]) -> str:
    code: str = result["error"]["code"]
    return code


def test_profile_normalises_state_and_gets_unique_ids(laura: ModuleType, tmp_path: Path) -> None:
    first = laura.create_client_profile(
        {"full_name": " Maria  Lopez ", "date_of_birth": "1990-05-17", "state": "ny"}
    )
    second = laura.create_client_profile(
        {"full_name": "Maria Lopez", "date_of_birth": "1990-05-17", "state": "NY"}
    )
    assert first["state"] == "NY" and first["full_name"] == "Maria Lopez"
    assert first["client_id"] != second["client_id"]
    with sqlite3.connect(tmp_path / "laura.sqlite3") as connection:
        assert connection.execute("SELECT count(*) FROM clients").fetchone() == (2,)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"full_name": "A B", "date_of_birth": "17/05/1990", "state": "NY"}, "invalid_date_of_birth"),
        ({"full_name": "A B", "date_of_birth": "1990-02-30", "state": "NY"}, "invalid_date_of_birth"),
        ({"full_name": "A B", "date_of_birth": "2030-01-01", "state": "NY"}, "invalid_date_of_birth"),
        ({"full_name": "A B", "date_of_birth": "1990-05-17", "state": "Narnia"}, "invalid_state"),
        ({"full_name": "", "date_of_birth": "1990-05-17", "state": "NY"}, "invalid_arguments"),
        ({"date_of_birth": "1990-05-17", "state": "NY"}, "invalid_arguments"),
    ],
)
def test_profile_validation(laura: ModuleType, args: dict[str, Any], code: str) -> None:
    assert _code(laura.create_client_profile(args)) == code


def test_profile_rejects_non_mapping_arguments(laura: ModuleType) -> None:
    assert _code(laura.create_client_profile(["Maria"])) == "invalid_arguments"


def test_action_items_accumulate(laura: ModuleType) -> None:
    client_id = _client(laura)
    laura.add_action_items_to_profile({"client_id": client_id, "action_items": ["Update the CV"]})
    result = laura.add_action_items_to_profile(
        {"client_id": client_id, "action_items": ["Call two former colleagues", "Apply to three roles"]}
    )
    assert result == {
        "client_id": client_id,
        "added": 2,
        "action_items": ["Update the CV", "Call two former colleagues", "Apply to three roles"],
    }


def test_action_items_validation(laura: ModuleType) -> None:
    client_id = _client(laura)
    assert _code(laura.add_action_items_to_profile({"client_id": client_id, "action_items": []})) == (
        "invalid_arguments"
    )
    assert _code(laura.add_action_items_to_profile({"client_id": client_id, "action_items": [3]})) == (
        "invalid_arguments"
    )
    assert _code(laura.add_action_items_to_profile({"client_id": "cl_nobody", "action_items": ["x"]})) == (
        "unknown_client"
    )


def test_slots_are_future_weekdays_in_new_york(laura: ModuleType) -> None:
    slots = laura.get_available_appointments({"client_id": _client(laura)})["slots"]
    assert 1 <= len(slots) <= 4
    from datetime import datetime

    now = datetime.fromisoformat(NOW)
    for slot in slots:
        start = datetime.fromisoformat(slot)
        assert start > now
        assert start.weekday() < 5
        assert slot.endswith(("-05:00", "-04:00"))


def test_booking_flow_and_next_appointment(laura: ModuleType) -> None:
    client_id = _client(laura)
    assert laura.get_next_appointment({"client_id": client_id}) == {
        "client_id": client_id,
        "appointment": None,
    }
    slot = laura.get_available_appointments({"client_id": client_id})["slots"][0]
    booked = laura.schedule_appointment({"client_id": client_id, "start": slot})
    assert booked["confirmed"] is True and booked["start"] == slot and booked["end"] > slot
    upcoming = laura.get_next_appointment({"client_id": client_id})["appointment"]
    assert upcoming == {"appointment_id": booked["appointment_id"], "start": slot, "end": booked["end"]}


def test_double_booking_is_refused(laura: ModuleType) -> None:
    maria, james = _client(laura), _client(laura, "James Park")
    slot = laura.get_available_appointments({"client_id": maria})["slots"][0]
    laura.get_available_appointments({"client_id": james})  # offered before Maria books it
    assert laura.schedule_appointment({"client_id": maria, "start": slot})["confirmed"] is True
    assert _code(laura.schedule_appointment({"client_id": james, "start": slot})) == "slot_taken"
    assert _code(laura.schedule_appointment({"client_id": maria, "start": slot})) == "slot_taken"
    assert slot not in laura.get_available_appointments({"client_id": james})["slots"]


def test_slot_not_offered_is_refused(laura: ModuleType) -> None:
    maria, james = _client(laura), _client(laura, "James Park")
    slot = laura.get_available_appointments({"client_id": maria})["slots"][0]
    assert _code(laura.schedule_appointment({"client_id": james, "start": slot})) == "slot_not_offered"
    assert _code(laura.schedule_appointment({"client_id": maria, "start": "2026-03-06T13:15:00-05:00"})) == (
        "slot_not_offered"
    )


def test_past_slot_is_refused(laura: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    client_id = _client(laura)
    slot = laura.get_available_appointments({"client_id": client_id})["slots"][0]
    monkeypatch.setenv("VOICECLI_LAURA_NOW", "2026-04-01T09:00:00-04:00")  # time moves on
    assert _code(laura.schedule_appointment({"client_id": client_id, "start": slot})) == "slot_in_past"


def test_bad_start_time(laura: ModuleType) -> None:
    client_id = _client(laura)
    assert (
        _code(laura.schedule_appointment({"client_id": client_id, "start": "tomorrow at 3"}))
        == "invalid_start"
    )


def test_default_database_lives_in_the_data_dir(
    laura: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VOICECLI_LAURA_DB")
    monkeypatch.setenv("VOICECLI_HOME", str(tmp_path / "home"))
    assert laura.database_path() == tmp_path / "home" / "laura.sqlite3"
    _client(laura)
    assert (tmp_path / "home" / "laura.sqlite3").is_file()
