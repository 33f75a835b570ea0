# Emulator and session contexts stay nested: the session needs the emulator's address.
# ruff: noqa: SIM117

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.genai import errors, types

from voicecli.emulator import Emulator
from voicecli.emulator.scenario import (
    Scenario,
    ScenarioError,
    Step,
    load_scenario,
    parse_scenario,
    render_text,
    render_value,
)
from voicecli.emulator.session import Session
from voicecli.emulator.templates import EmptyPlaceholder

from .conftest import MODEL, Turn, client_for, receive_turn

REPO = Path(__file__).resolve().parents[2]
LAURA = REPO / "personas" / "laura.scenario.yaml"
SHIPPED = [LAURA, *sorted((REPO / "tests" / "e2e" / "fixtures").glob("*.scenario.yaml"))]


def test_templates_read_tool_responses_keeping_types() -> None:
    context = {"get_available_appointments": {"output": {"slots": ["2030-01-02T09:00", "b"]}},
               "create_client_profile": {"client_id": "c-1"}}
    assert render_value("{{ get_available_appointments.slots[0] }}", context) == "2030-01-02T09:00"
    assert render_value({"ids": ["{{ create_client_profile.client_id }}"]}, context) == {"ids": ["c-1"]}
    assert render_text("id {{create_client_profile.client_id}}!", context) == "id c-1!"


@pytest.mark.parametrize("template", ["id {{ missing.x }}!", "{{ create_client_profile.name }}",
                                      "slot {{ get_available_appointments.slots[5] }}"])
def test_a_placeholder_that_renders_empty_is_an_error(template: str) -> None:
    context = {"get_available_appointments": {"output": {"slots": []}},
               "create_client_profile": {"client_id": "c-1", "name": ""}}
    with pytest.raises(EmptyPlaceholder):
        render_text(template, context)
    with pytest.raises(EmptyPlaceholder):
        render_value({"arg": template}, context)


def _bodies(scenario: Scenario) -> list[Step]:
    return [node for step in scenario.steps for node in step.walk()]


def test_laura_scenario_walks_the_whole_workflow() -> None:
    scenario = load_scenario(LAURA)
    assert scenario.opening is not None
    names = [call.name for body in _bodies(scenario) for call in body.tool_calls]
    assert names == ["create_client_profile", "add_action_items_to_profile", "get_next_appointment",
                     "get_available_appointments", "schedule_appointment"]
    booking = next(call for body in _bodies(scenario) for call in body.tool_calls
                   if call.name == "schedule_appointment")
    assert booking.args["start"] == "{{ get_available_appointments.slots[0] }}"


def test_laura_fetches_open_slots_only_after_finding_no_appointment() -> None:
    """Her rule: get_available_appointments only after get_next_appointment found nothing."""
    scenario = load_scenario(LAURA)
    for body in _bodies(scenario):
        names = {call.name for call in body.tool_calls}
        assert not {"get_next_appointment", "get_available_appointments"} <= names  # never in one frame
    fetching = [body for body in _bodies(scenario)
                if any(call.name == "get_available_appointments" for call in body.tool_calls)]
    assert len(fetching) == 1 and fetching[0].when is not None
    assert fetching[0].when.fields == (("get_next_appointment.appointment", None),)


def test_laura_never_confirms_a_booking_that_failed() -> None:
    scenario = load_scenario(LAURA)
    booking = next(body for body in _bodies(scenario)
                   if any(call.name == "schedule_appointment" for call in body.tool_calls))
    taken = {"schedule_appointment": {"error": {"type": "tool_error", "code": "slot_taken", "message": "x"}}}
    branch = booking.branch(taken)
    assert branch is not None and "booked for" not in branch.say and "portal" in branch.say
    other = booking.branch({"schedule_appointment": {"error": {"type": "timeout", "message": "x"}}})
    assert other is not None and "didn't go through" in other.say
    done = booking.branch({"schedule_appointment": {"output": {"start": "2030-01-02T09:00"}}})
    assert done is not None
    assert done.line({"schedule_appointment": {"output": {"start": "2030-01-02T09:00"}}}) == (
        "You're booked for 2030-01-02T09:00. Take care until then.")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_shipped_scenarios_still_load(path: Path) -> None:
    assert load_scenario(path).steps


def test_the_documented_example_loads() -> None:
    doc = (REPO / "docs" / "scenarios.md").read_text()
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    scenario = parse_scenario(yaml.safe_load(example), "scenarios.md")
    assert [branch.when is not None for branch in scenario.steps[2].then] == [True, True, False]


def test_without_a_scenario_the_generic_brain_answers(tmp_path: Path) -> None:
    generic, scripted = Emulator(ca_dir=tmp_path, recognition=False), Emulator(ca_dir=tmp_path, scenario=LAURA)
    assert generic.scenario is None
    assert generic.startup_lines()[0].startswith("brain: generic")
    assert scripted.startup_lines()[0].startswith("brain: scenario laura")
    assert load_scenario(LAURA).fallback.say.startswith("I heard {{ heard }}")


def test_conditions_check_outcomes_and_fields() -> None:
    scenario = parse_scenario({"steps": [{"tool_calls": [{"name": "look"}], "then": [
        {"when": {"look": "error"}, "say": "failed"},
        {"when": {"look.count": 0}, "say": "none"},
        {"when": {"look.flag": True}, "say": "flagged"},
        {"when": {"look": "ok", "look.item": None}, "say": "no item"},
        {"say": "other"},
    ]}]}, "x.yaml")
    step = scenario.steps[0]

    def says(response: dict[str, Any]) -> str:
        branch = step.branch({"look": response})
        assert branch is not None
        return branch.say

    assert says({"error": {"type": "timeout"}}) == "failed"
    assert says({"output": {"count": 0, "item": "a"}}) == "none"
    assert says({"output": {"count": 1, "flag": 1, "item": "a"}}) == "other"  # 1 is not true
    assert says({"output": {"count": 1, "flag": True}}) == "flagged"
    assert says({"output": {"count": 2}}) == "no item"  # null matches an absent field


def test_no_matching_branch_names_the_outcomes() -> None:
    scenario = parse_scenario({"steps": [{"tool_calls": [{"name": "look"}], "then": [
        {"when": {"look": "ok"}, "say": "fine"}]}]}, "x.yaml")
    with pytest.raises(ScenarioError, match=r"steps\[0\]\.then: no branch matches \(look error\)"):
        scenario.steps[0].branch({"look": {"error": {}}})


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"steps": [{"sya": "typo"}]}, "unknown keys sya"),
        ({"steps": [{"say": "a"}, {"opening": True, "say": "b"}]}, "only the first step"),
        ({"steps": [{"tool_calls": [{"args": {}}]}]}, "tool_calls[0]"),
        ({"steps": [{"faults": [{"drop": True, "close": {"code": 1011}}]}]}, "exactly one"),
        ({"steps": "nope"}, "expected a list"),
        # Placeholders and conditions name a tool called before them.
        ({"steps": [{"say": "Booked for {{ schedule_appointment.start }}."}]},
         "steps[0]: {{ schedule_appointment.start }} names schedule_appointment, which no tool call"),
        ({"steps": [{"tool_calls": [{"name": "book"}], "then": "At {{ bok.start }}."}]},
         "steps[0].then: {{ bok.start }} names bok"),
        ({"steps": [{"tool_calls": [{"name": "a", "args": {"x": "{{ a.id }}"}}]}]},
         "steps[0].tool_calls[0].args: {{ a.id }} names a"),
        ({"steps": [{"tool_calls": [{"name": "a"}], "then": [{"when": {"b": "ok"}, "say": "x"}]}]},
         "steps[0].then[0].when: names b"),
        ({"steps": [{"tool_calls": [{"name": "a"}], "then": "You said {{ heard }}."}]},
         "{{ heard }} is only known in a step's own say"),
        ({"steps": [{"say": "Hi {{ }}."}]}, "{{  }} is not a field path"),
        ({"steps": [{"tool_calls": [{"name": "a"}], "then": "{{ a..b }}"}]}, "{{ a..b }} is not a field path"),
        # Branches.
        ({"steps": [{"tool_calls": [{"name": "a"}], "then": [{"when": {"a": "fine"}}]}]},
         "steps[0].then[0].when.a: a tool's outcome is ok or error"),
        ({"steps": [{"tool_calls": [{"name": "a"}], "then": [{"when": {"a.x": [1]}}]}]}, "compare with one value"),
        ({"steps": [{"tool_calls": [{"name": "a"}], "then": [{"when": "a"}]}]}, "then[0].when: expected a mapping"),
        ({"steps": [{"tool_calls": [{"name": "a"}], "then": [{"say": "x"}, {"when": {"a": "ok"}}]}]},
         "steps[0].then[0]: only the last branch may leave out when"),
        ({"steps": [{"then": [{"user": "x"}]}]}, "then[0]: unknown keys user (a branch takes"),
        ({"steps": [{"then": []}]}, "steps[0].then: expected text, or a list of branches"),
        ({"steps": [{"when": {"a": "ok"}}]}, "steps[0]: unknown keys when"),
    ],
)
def test_bad_scenarios_name_the_problem(data: object, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, "x.yaml")
    assert words in str(caught.value)
    assert str(caught.value).startswith("x.yaml")


def test_a_branch_sees_tools_called_by_earlier_steps_and_its_own_chain() -> None:
    scenario = parse_scenario({"steps": [
        {"tool_calls": [{"name": "a"}]},
        {"tool_calls": [{"name": "b", "args": {"id": "{{ a.id }}"}}], "then": [
            {"when": {"b.found": None}, "tool_calls": [{"name": "c", "args": {"id": "{{ b.id }}"}}],
             "then": "{{ a.id }} {{ b.id }} {{ c.slot }}"},
            {"say": "{{ b.found }}"}]},
    ], "fallback": {"say": "{{ heard }} {{ c.slot }}"}}, "x.yaml")
    assert [node.where for node in scenario.steps[1].walk()] == [
        "steps[1]", "steps[1].then[0]", "steps[1].then[0].then", "steps[1].then[1]"]


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


# ---- the engine, driven by the real SDK ------------------------------------------------------------

TRANSCRIBED = types.LiveConnectConfig(output_audio_transcription=types.AudioTranscriptionConfig())


def _text_turn(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


def _call_or_end(message: types.LiveServerMessage) -> bool:
    return message.tool_call is not None or bool(message.server_content and message.server_content.turn_complete)


async def _converse(session: Any, line: str, answer: Callable[[str], dict[str, Any]]) -> tuple[list[Turn], str]:
    """Send one user line and answer each tool call frame; returns the frames' turns and the transcript."""
    await session.send_client_content(turns=_text_turn(line))
    frames: list[Turn] = []
    transcript = ""
    turn = await receive_turn(session, until=_call_or_end)
    transcript += turn.transcript
    while turn.tool_calls:
        frames.append(turn)
        await session.send_tool_response(function_responses=[
            types.FunctionResponse(id=call.id, name=call.name, response=answer(call.name or ""))
            for call in turn.tool_calls])
        turn = await receive_turn(session, until=_call_or_end)
        transcript += turn.transcript
    return frames, transcript


def _laura_answers(appointment: dict[str, Any] | None, booking: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
    responses = {
        "create_client_profile": {"output": {"client_id": "c-1"}},
        "add_action_items_to_profile": {"output": {"client_id": "c-1", "added": 2}},
        "get_next_appointment": {"output": {"client_id": "c-1", "appointment": appointment}},
        "get_available_appointments": {"output": {"client_id": "c-1", "slots": ["2030-05-01T10:00:00"]}},
        "schedule_appointment": booking,
    }
    return lambda name: responses[name]


async def _laura_booking_turns(make_emulator: Callable[..., Any], answer: Callable[[str], dict[str, Any]]
                               ) -> list[tuple[list[Turn], str]]:
    async with make_emulator(scenario=LAURA) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=TRANSCRIBED) as session:
            await session.send_client_content(turns=_text_turn("Start the session."))
            await receive_turn(session)
            return [await _converse(session, line, answer) for line in ["Ana", "stressed", "walks", "book", "yes"]]


async def test_laura_asks_for_open_slots_in_a_later_frame_only_when_none_is_booked(
        make_emulator: Callable[..., Any]) -> None:
    booked = {"output": {"start": "2030-05-01T10:00:00", "confirmed": True}}
    turns = await _laura_booking_turns(make_emulator, _laura_answers(None, booked))
    frames, transcript = turns[3]
    assert [[call.name for call in frame.tool_calls] for frame in frames] == [
        ["get_next_appointment"], ["get_available_appointments"]]
    assert transcript == ("Let me check your appointments. The first open slot is 2030-05-01T10:00:00. "
                          "Does that work for you?")
    assert turns[4][1] == "Booking it now. You're booked for 2030-05-01T10:00:00. Take care until then."


async def test_laura_tells_an_existing_appointment_and_books_nothing(make_emulator: Callable[..., Any]) -> None:
    existing = {"appointment_id": "a-9", "start": "2030-04-02T09:30:00"}
    turns = await _laura_booking_turns(make_emulator, _laura_answers(existing, {"output": {}}))
    frames, transcript = turns[3]
    assert [[call.name for call in frame.tool_calls] for frame in frames] == [["get_next_appointment"]]
    assert "You already have a session on 2030-04-02T09:30:00" in transcript
    frames, transcript = turns[4]
    assert frames == [] and transcript.startswith("Great.")


async def test_laura_explains_a_taken_slot_instead_of_an_empty_confirmation(
        make_emulator: Callable[..., Any]) -> None:
    taken = {"error": {"type": "tool_error", "code": "slot_taken", "message": "already booked"}}
    turns = await _laura_booking_turns(make_emulator, _laura_answers(None, taken))
    frames, transcript = turns[4]
    assert [[call.name for call in frame.tool_calls] for frame in frames] == [["schedule_appointment"]]
    assert transcript.startswith("Booking it now. Someone booked that time a moment ago")
    assert "booked for" not in transcript


async def test_then_without_calls_follows_the_say_in_the_same_turn(make_emulator: Callable[..., Any]) -> None:
    scenario = parse_scenario({"steps": [{"say": "One.", "then": "Two."}]}, "inline")
    async with make_emulator(scenario=scenario) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=TRANSCRIBED) as session:
            _, transcript = await _converse(session, "go", lambda name: {})
    assert transcript == "One. Two."


@pytest.mark.parametrize(
    ("then", "reason"),
    [
        ("Booked for {{ book.start }}.", "scenario inline: steps[0].then: {{ book.start }} is empty"),
        ([{"when": {"book": "ok"}, "say": "Booked."}],
         "scenario inline: steps[0].then: no branch matches (book error)"),
        ([{"tool_calls": [{"name": "mail", "args": {"to": "{{ book.email }}"}}]}],
         "scenario inline: steps[0].then[0]: mail args: {{ book.email }} is empty"),
    ],
)
async def test_a_scenario_that_cannot_go_on_closes_with_the_reason(make_emulator: Callable[..., Any],
                                                                   then: Any, reason: str) -> None:
    scenario = parse_scenario({"steps": [{"say": "Booking.", "tool_calls": [{"name": "book"}], "then": then}]},
                              "inline")
    async with make_emulator(scenario=scenario) as emu:
        async with client_for(emu).aio.live.connect(model=MODEL, config=TRANSCRIBED) as session:
            with pytest.raises(errors.APIError) as caught:
                await _converse(session, "book it", lambda name: {"error": {"type": "tool_error"}})
        closes = [record for record in emu.record if record["dir"] == "close"]
    assert caught.value.code == 1008
    assert reason in str(caught.value)
    assert closes[-1]["reason"] == reason
