from __future__ import annotations

from pathlib import Path

import pytest

from voicecli.emulator.scenario import ScenarioError, load_scenario, parse_scenario, render_text, render_value
from voicecli.emulator.session import Session

LAURA = Path(__file__).resolve().parents[2] / "personas" / "laura.scenario.yaml"


def test_templates_read_tool_responses_keeping_types() -> None:
    context = {"get_available_appointments": {"output": {"slots": ["2030-01-02T09:00", "b"]}},
               "create_client_profile": {"client_id": "c-1"}}
    assert render_value("{{ get_available_appointments.slots[0] }}", context) == "2030-01-02T09:00"
    assert render_value({"ids": ["{{ create_client_profile.client_id }}"]}, context) == {"ids": ["c-1"]}
    assert render_text("id {{create_client_profile.client_id}}, {{ missing.x }}!", context) == "id c-1, !"


def test_laura_scenario_walks_the_whole_workflow() -> None:
    scenario = load_scenario(LAURA)
    assert scenario.opening is not None
    names = [call.name for step in scenario.turns for call in step.tool_calls]
    assert names == ["create_client_profile", "add_action_items_to_profile", "get_next_appointment",
                     "get_available_appointments", "schedule_appointment"]
    booking = scenario.turns[-1].tool_calls[0]
    assert booking.args["start"] == "{{ get_available_appointments.slots[0] }}"


def test_generic_scenario_is_the_default() -> None:
    scenario = load_scenario(None)
    assert scenario.name == "generic" and "{{ heard }}" in scenario.fallback.say


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"steps": [{"sya": "typo"}]}, "unknown keys sya"),
        ({"steps": [{"say": "a"}, {"opening": True, "say": "b"}]}, "only the first step"),
        ({"steps": [{"tool_calls": [{"args": {}}]}]}, "tool_calls[0]"),
        ({"steps": [{"faults": [{"drop": True, "close": {"code": 1011}}]}]}, "exactly one"),
        ({"steps": "nope"}, "expected a list"),
    ],
)
def test_bad_scenarios_name_the_problem(data: object, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, "x.yaml")
    assert words in str(caught.value)


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "absent.yaml")


def test_sliding_window_cuts_at_a_user_turn() -> None:
    session = Session(session_id="s", vertex=False, model_id="m")
    for _ in range(4):
        session.add("user", 100)
        session.add("model", 100)
    dropped = session.compress(trigger=700, target=300)
    assert dropped == 600
    assert session.history[0].role == "user" and session.context_tokens == 200
    assert session.compress(trigger=700, target=300) == 0
