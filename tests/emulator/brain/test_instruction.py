"""Reading the system instruction: who the agent is, and in which order tools may be called."""

from __future__ import annotations

from typing import Any

import pytest

from voicecli.emulator.brain.declarations import Tool
from voicecli.emulator.brain.instruction import Rule, read_identity, read_instruction


def test_laura_is_read_from_her_compiled_instruction(laura: Any) -> None:
    brain = laura.brain()
    info = brain.instruction
    assert info.name == "Laura"
    assert info.role == "a data-driven career coach from Brooklyn who helps people get unstuck at work"
    assert info.rules == {
        "get_available_appointments": Rule(after=("get_next_appointment",), needs_empty=("get_next_appointment",)),
        "schedule_appointment": Rule(after=("get_available_appointments",)),
    }
    assert "follow-up session booked" in info.context["get_next_appointment"]


@pytest.mark.parametrize(
    ("text", "name", "role"),
    [("You are Tony, the order taker at Tony's Pizza.", "Tony", "the order taker at Tony's Pizza"),
     ("You are a friendly barista named Kim. Be brief.", "Kim", "a friendly barista"),
     ("Your name is Max. You are an energy advisor.", "Max", "an energy advisor"),
     ("You're Ada.", "Ada", None),
     ("You are NOT allowed to swear. You are a helpful assistant.", None, "a helpful assistant"),
     ("Answer in English.", None, None)],
)
def test_identity(text: str, name: str | None, role: str | None) -> None:
    assert read_identity(text) == (name, role)


def test_before_and_after_both_order_calls() -> None:
    tools = [Tool("check_stock"), Tool("reserve"), Tool("pay")]
    text = ("Call the `check_stock` tool before reserve.\n"
            "Use the `pay` tool only after `reserve` returned a reservation.")
    assert read_instruction(text, tools).rules == {"reserve": Rule(after=("check_stock",)),
                                                   "pay": Rule(after=("reserve",))}


def test_a_description_can_order_calls_too() -> None:
    tools = [Tool("lookup"), Tool("book", description="Books a slot. Call it only after lookup found nothing.")]
    assert read_instruction("", tools).rules == {"book": Rule(after=("lookup",), needs_empty=("lookup",))}
