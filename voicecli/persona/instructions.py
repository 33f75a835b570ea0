"""Persona -> what is sent to the Live API: the system instruction, tool declarations, the opening prompt.

Pure and deterministic: the same persona always compiles to the same text (snapshot-tested).
"""

from __future__ import annotations

import copy
from typing import Any

from voicecli.persona.language import language_name
from voicecli.persona.model import HANDOFF_TOOL_PREFIX, Handoff, Persona, Step, ToolSpec

# An invocation condition reads as a clause after "Call the `x` tool ..." when it opens with one of these.
_CONDITION_OPENERS = ("when", "after", "once", "if", "before", "as", "only", "whenever", "right", "as soon")

_KIND_NOTES = {
    "once": "One-time step: do it once, then move on; never repeat it.",
    "loop": "Open-ended loop: stay here as long as the user wants, and move on only when they are ready.",
}


def condition_clause(when: str) -> str:
    """``"The user asks"`` -> ``"when the user asks"``; clauses that already open with a condition stay."""
    text = when.strip().rstrip(".")
    if text.lower().startswith(_CONDITION_OPENERS):
        return text[0].lower() + text[1:]
    return "when " + text[0].lower() + text[1:] if text else "when needed"


def tool_sentence(tool_name: str, tool: ToolSpec | Handoff | None) -> str:
    """One sentence per invocation, naming the tool and its condition."""
    verb = "Use the built-in" if isinstance(tool, ToolSpec) and tool.builtin else "Call the"
    if tool is None or not tool.when:
        return f"{verb} `{tool_name}` tool."
    return f"{verb} `{tool_name}` tool {condition_clause(tool.when)}."


def _callable(persona: Persona, name: str) -> ToolSpec | Handoff | None:
    return persona.tool(name) or persona.handoff_for_tool(name)


def _any_step_sentences(persona: Persona) -> list[str]:
    """Built-in tools, MCP tools and handoffs that no step names: each its own sentence, usable at any step."""
    named = {name for step in persona.rules for name in step.tools}
    tools = [
        tool for tool in persona.tools
        if tool.name not in named and (tool.builtin or (tool.handler is not None and tool.handler.mcp))
    ]
    handoffs = [handoff for handoff in persona.handoffs if handoff.tool_name not in named]
    return [tool_sentence(tool.name, tool) for tool in tools] + [
        tool_sentence(handoff.tool_name, handoff) for handoff in handoffs
    ]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _persona_section(persona: Persona) -> list[str]:
    info = persona.persona
    identity = f"You are {info.name}" if info.name else "You are the assistant described here"
    lines = ["# Persona", _sentence(f"{identity}, {info.role}" if info.role else identity)]
    if info.description:
        lines.append(_sentence(info.description))
    if info.traits:
        lines.append("Your manner:")
        lines.extend(f"- {_sentence(trait)}" for trait in info.traits)
    if info.language:
        name = language_name(info.language).upper()
        if info.accent:
            lines.append(_sentence(f"Speak with a {info.accent} accent"))
        lines.append(f"RESPOND IN {name}. YOU MUST RESPOND UNMISTAKABLY IN {name}.")
    return lines


def _step_lines(number: int, step: Step, persona: Persona) -> list[str]:
    title = f"## Step {number}: {step.title}" if step.title else f"## Step {number}"
    lines = [title, _KIND_NOTES[step.kind], _sentence(step.instructions)]
    lines.extend(tool_sentence(name, _callable(persona, name)) for name in step.tools)
    return lines


def _rules_section(persona: Persona) -> list[str]:
    any_step = _any_step_sentences(persona)
    if not persona.rules and not any_step:
        return []
    lines = ["# Conversational rules"]
    if persona.rules:
        lines.append("Follow these steps in order.")
    for number, step in enumerate(persona.rules, start=1):
        lines.append("")
        lines.extend(_step_lines(number, step, persona))
    if any_step:
        lines.extend(["", "## At any step", *any_step])
    return lines


def _prohibition(item: str) -> str:
    text = _sentence(item)
    if text.lower().startswith(("never ", "do not ", "don't ")):
        return text
    return f"Never {text[0].lower()}{text[1:]}"


def _guardrails_section(persona: Persona) -> list[str]:
    guardrails = persona.guardrails
    if guardrails is None or not (guardrails.must_not or guardrails.examples):
        return []
    lines = ["# Guardrails"]
    lines.extend(f"- {_prohibition(item)}" for item in guardrails.must_not)
    for example in guardrails.examples:
        situation = example.situation.strip().rstrip(".")
        lines.append(f"- If {situation[0].lower()}{situation[1:]}: {_sentence(example.response)}")
    return lines


def compile_instructions(persona: Persona) -> str:
    """The system instruction: persona, then conversational rules, then guardrails."""
    sections = [_persona_section(persona), _rules_section(persona), _guardrails_section(persona)]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def tool_description(tool: ToolSpec) -> str:
    """The declared description, with the invocation condition folded in."""
    parts = [_sentence(tool.description)] if tool.description else []
    if tool.when:
        parts.append(f"Call it {condition_clause(tool.when)}.")
    return " ".join(parts)


def handoff_description(handoff: Handoff) -> str:
    """What a transfer function does, with its condition folded in."""
    target = handoff.tool_name.removeprefix(HANDOFF_TOOL_PREFIX).replace("_", " ")
    parts = [f"Hands the conversation over to the {target} agent, who continues it with the user."]
    if handoff.when:
        parts.append(f"Call it {condition_clause(handoff.when)}.")
    parts.append("First tell the user in one short sentence that you are passing them on.")
    return " ".join(parts)


HANDOFF_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reason": {
            "type": "string",
            "description": "Why the conversation is handed over, in a few words the next agent can act on.",
        }
    },
}


def function_declarations(persona: Persona) -> list[dict[str, Any]]:
    """FunctionDeclaration dicts (SDK field names): every function tool in file order, then the handoffs.

    Built-in tools are not functions: ``Persona.builtin_tools`` lists them for the setup.
    """
    declarations = []
    for tool in persona.function_tools:
        declaration: dict[str, Any] = {
            "name": tool.name,
            "description": tool_description(tool),
            "parameters": tool.parameters,
        }
        if tool.behavior == "non_blocking":
            declaration["behavior"] = "NON_BLOCKING"
        declarations.append(declaration)
    for handoff in persona.handoffs:
        declarations.append(
            {
                "name": handoff.tool_name,
                "description": handoff_description(handoff),
                "parameters": copy.deepcopy(HANDOFF_PARAMETERS),
            }
        )
    return declarations


def greeting_prompt(persona: Persona) -> str:
    """The text sent as the first user turn so the agent speaks first (Live waits for input otherwise)."""
    lines = ["[The conversation is starting. Speak first: greet the user now, briefly.]"]
    if persona.greeting is not None:
        lines.append(_sentence(persona.greeting.text))
        if persona.greeting.facts:
            lines.append("What you already know about the user:")
            lines.extend(
                f"- {key.replace('_', ' ')}: {value}" for key, value in persona.greeting.facts.items()
            )
    return "\n".join(lines)
