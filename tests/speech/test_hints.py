"""Bias words from a Live setup, and the glossary prompt built from them."""

from __future__ import annotations

from typing import Any

from voicecli.speech.hints import MAX_PROMPT_CHARS, bias_prompt, session_hints

INSTRUCTION = """You are Laura, the front-desk assistant of Brightwater Dental in Edinburgh.
Dr. Amara Nwosu works Monday to Thursday. Never give medical advice.
- Book visits with the booking tool."""
TOOLS: list[dict[str, Any]] = [
    {"name": "book_appointment", "parameters": {"type": "OBJECT", "properties": {
        "dentist": {"type": "STRING", "enum": ["Amara Nwosu", "Oliver Bennett"]},
        "kind": {"type": "STRING", "enum": ["CHECK_UP", "cleaning"]}}}},
    {"name": "getOpeningHours"},
    {"name": "cancel", "parametersJsonSchema": {"type": "object", "properties": {
        "reason": {"type": "string", "enum": ["illness", "travel"]}}}},
]


def test_session_hints_take_enums_tool_names_and_names_from_the_instruction() -> None:
    hints = session_hints(INSTRUCTION, TOOLS)
    assert hints[:6] == ["Amara Nwosu", "Oliver Bennett", "check up", "cleaning", "illness", "travel"]
    assert {"appointment", "opening", "hours"} <= set(hints)
    assert not {"book", "get", "cancel", "book appointment"} & set(hints)  # common verbs are not worth a bias
    assert {"Laura", "Brightwater Dental", "Edinburgh", "Monday", "Thursday"} <= set(hints)


def test_sentence_openers_and_common_words_are_not_hints() -> None:
    hints = session_hints(INSTRUCTION, TOOLS)
    assert not {"You", "Never", "Book", "Dr", "Dr."} & set(hints)
    assert len(hints) == len({h.lower() for h in hints})  # no duplicates, whatever the case


def test_no_session_words_means_no_prompt() -> None:
    assert session_hints() == []
    assert bias_prompt([]) == ""
    assert bias_prompt(["  ", ""]) == ""


def test_bias_prompt_is_a_glossary_within_budget() -> None:
    assert bias_prompt(["Amara  Nwosu", "thermostat", "amara nwosu"]) == "Glossary: Amara Nwosu, thermostat."
    prompt = bias_prompt([f"name{i}" for i in range(500)])
    assert len(prompt) <= MAX_PROMPT_CHARS
    assert prompt.startswith("Glossary: name0, name1,") and prompt.endswith(".")


def test_a_directive_in_capitals_is_not_a_name() -> None:
    instruction = "You are Laura. RESPOND IN ENGLISH. YOU MUST RESPOND UNMISTAKABLY IN ENGLISH. Use the NASA data."
    hints = session_hints(instruction)
    assert "Laura" in hints and "NASA" in hints  # a single acronym is still worth a bias
    assert not [hint for hint in hints if "ENGLISH" in hint or "RESPOND" in hint]
