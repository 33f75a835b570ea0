"""Built-in tools, MCP servers, tools derived from Python signatures, and tools added at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from voicecli.errors import PersonaError
from voicecli.persona import McpServer, McpToolChoice, ToolSpec, load_persona
from voicecli.persona.instructions import compile_instructions, function_declarations
from voicecli.persona.lint import lint_persona
from voicecli.persona.model import HandlerBinding

TYPED_MODULE = '''
def lookup_order(order_id: str, include_items: bool = False) -> dict:
    """Finds an order by its number and returns its shipping status.

    Args:
        order_id: The order number the caller reads out.
        include_items: Whether to list the items too.
    """
    return {"order_id": order_id, "status": "shipped"}
'''


def _problems(path: Path) -> list[str]:
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    return caught.value.problems


def test_a_builtin_tool_has_no_handler_and_is_not_a_function(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["tools"].append({"builtin": "google_search", "when": "the user asks about current events"})
    persona = load_persona(samples.write(tmp_path, document))
    search = persona.tools[1]
    assert (search.name, search.builtin, search.handler) == ("google_search", "google_search", None)
    assert persona.builtin_tools == ["google_search"]
    assert [tool.name for tool in persona.function_tools] == ["lookup_order"]
    assert [d["name"] for d in function_declarations(persona)] == ["lookup_order"]
    text = compile_instructions(persona)
    assert "## At any step\nUse the built-in `google_search` tool when the user asks about current events." in text
    assert lint_persona(persona) == []  # not named by a step, and no VC202 for it


def test_a_builtin_tool_named_by_a_step_gets_its_sentence_there(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["tools"].append({"builtin": "google_search", "when": "the user asks about delivery delays"})
    document["rules"][0]["tools"].append("google_search")
    persona = load_persona(samples.write(tmp_path, document))
    text = compile_instructions(persona)
    assert text.count("Use the built-in `google_search` tool when the user asks about delivery delays.") == 1
    assert "## At any step" not in text


def test_builtin_tool_mistakes_are_reported_together(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["tools"] += [
        {"builtin": "google_search", "when": "always", "handler": {"python": "shop_tools:lookup_order"}},
        {"builtin": "web_browser"},
        {"when": "always"},
    ]
    problems = "\n".join(_problems(samples.write(tmp_path, document)))
    assert "tools[1]: a built-in tool takes only 'builtin' and 'when', not handler" in problems
    assert "tools[2].builtin: must be one of google_search, code_execution, got 'web_browser'" in problems
    assert "tools[3]: needs 'name' (a function with a handler) or 'builtin'" in problems


def test_a_builtin_tool_without_when_is_linted(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["tools"].append({"builtin": "google_search"})
    assert [f.code for f in lint_persona(load_persona(samples.write(tmp_path, document)))] == ["VC301"]


def _with_mcp(document: dict[str, Any], **server: Any) -> dict[str, Any]:
    entry = {"name": "notes", "command": ["python", "notes_server.py"],
             "tools": [{"name": "add_note", "when": "the user asks to remember something"}]}
    entry.update(server)
    document["mcp_servers"] = [entry]
    return document


def test_mcp_servers_load(tmp_path: Path, samples: Any) -> None:
    document = _with_mcp(samples.base_document(), timeout_s=5)
    document["mcp_servers"].append({"name": "web", "url": "http://127.0.0.1:8765/mcp",
                                    "tools": [{"name": "fetch", "when": "the user gives a link"}]})
    persona = load_persona(samples.write(tmp_path, document))
    notes, web = persona.mcp_servers
    assert notes == McpServer("notes", ["python", "notes_server.py"], None,
                              [McpToolChoice("add_note", "the user asks to remember something")], 5.0)
    assert (web.url, web.command, web.timeout_s) == ("http://127.0.0.1:8765/mcp", None, 20.0)
    assert notes.choice("add_note") is not None and notes.choice("fetch") is None
    assert lint_persona(persona) == []


@pytest.mark.parametrize(
    ("server", "problem"),
    [
        ({"url": "http://127.0.0.1/mcp"}, "mcp_servers[0]: needs exactly one of 'command' (stdio) or 'url'"),
        ({"command": None}, "mcp_servers[0]: needs exactly one of 'command' (stdio) or 'url'"),
        ({"command": None, "url": "ftp://x"}, "mcp_servers[0].url: expected an http:// or https:// URL"),
        ({"tools": []}, "mcp_servers[0].tools: needs at least 1 item(s)"),
        ({"tools": [{"name": "a"}, {"name": "a"}]}, "mcp_servers[0].tools[1].name: tool 'a' is listed twice"),
        ({"tools": [{"when": "always"}]}, "mcp_servers[0].tools[0]: missing required key 'name'"),
        ({"timeout_s": 0}, "mcp_servers[0].timeout_s: must be more than 0, got 0"),
    ],
)
def test_mcp_server_mistakes(tmp_path: Path, samples: Any, server: dict[str, Any], problem: str) -> None:
    problems = _problems(samples.write(tmp_path, _with_mcp(samples.base_document(), **server)))
    assert any(problem in line for line in problems), problems


def test_mcp_tool_choices_need_when_and_a_runnable_command(tmp_path: Path, samples: Any) -> None:
    document = _with_mcp(samples.base_document(), command=["./no-such-server"], tools=[{"name": "add_note"}])
    codes = [f.code for f in lint_persona(load_persona(samples.write(tmp_path, document)))]
    assert sorted(codes) == ["VC301", "VC309"]


def test_tools_found_at_start_up_compile_like_the_others(tmp_path: Path, samples: Any) -> None:
    document = _with_mcp(samples.base_document())
    document["rules"][0]["tools"].append("add_note")  # a step may name an MCP tool before it is listed
    persona = load_persona(samples.write(tmp_path, document))
    assert lint_persona(persona) == []
    added = ToolSpec(
        name="add_note",
        handler=HandlerBinding(mcp=("notes", "add_note")),
        description="Adds a note to the user's notebook and returns its id.",
        when="the user asks to remember something",
        parameters={"type": "object", "properties": {"text": {"type": "string"}}},
    )
    extended = persona.with_tools([added])
    assert [tool.name for tool in persona.tools] == ["lookup_order"]  # the original is untouched
    assert [d["name"] for d in function_declarations(extended)] == ["lookup_order", "add_note"]
    assert "Call the `add_note` tool when the user asks to remember something." in compile_instructions(extended)


def test_a_typed_python_handler_may_omit_description_and_parameters(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    del document["tools"][0]["description"], document["tools"][0]["parameters"]
    path = samples.write(tmp_path, document)
    (tmp_path / "shop_tools.py").write_text(TYPED_MODULE)
    tool = load_persona(path).tools[0]
    assert tool.description == "Finds an order by its number and returns its shipping status."
    assert tool.parameters["required"] == ["order_id"]
    assert tool.parameters["properties"]["order_id"]["description"] == "The order number the caller reads out."
    assert tool.derived == ("description", "parameters")
    document["tools"][0]["description"] = "Looks up one order and says where it is now."  # written wins
    tool = load_persona(samples.write(tmp_path, document, with_module=False)).tools[0]
    assert (tool.description, tool.derived) == ("Looks up one order and says where it is now.", ("parameters",))


def test_an_arguments_dict_handler_keeps_the_old_meaning(tmp_path: Path, samples: Any) -> None:
    """``def f(args)`` without parameters is a tool without arguments, as before; nothing is derived."""
    document = samples.base_document()
    del document["tools"][0]["parameters"]
    tool = load_persona(samples.write(tmp_path, document)).tools[0]
    assert (tool.parameters, tool.derived) == ({"type": "object", "properties": {}}, ())


def test_an_underivable_signature_is_a_loading_problem(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    del document["tools"][0]["parameters"]
    path = samples.write(tmp_path, document)
    (tmp_path / "shop_tools.py").write_text("def lookup_order(*items: str) -> dict:\n    return {}\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:")
    assert "tools[0].handler.python: cannot derive the omitted description/parameters" in problem


def test_persona_show_lists_derived_builtin_mcp_and_handoffs(tmp_path: Path, samples: Any) -> None:
    from voicecli.cli.persona_cmd import shown_persona

    document = _with_mcp(samples.base_document())
    del document["tools"][0]["description"]
    document["tools"].append({"builtin": "google_search", "when": "the user asks about news"})
    document["handoffs"] = [{"to": "laura", "when": "the user wants coaching", "language_switch": True}]
    path = samples.write(tmp_path, document)
    (tmp_path / "shop_tools.py").write_text(TYPED_MODULE)
    shown = shown_persona(load_persona(path))
    assert shown["derived"] == {"lookup_order": ["description"]}
    assert shown["function_declarations"][0]["description"].startswith("Finds an order by its number")
    assert shown["builtin_tools"] == ["google_search"]
    assert shown["mcp_servers"][0]["tools"] == [{"name": "add_note", "when": "the user asks to remember something"}]
    assert shown["handoffs"][0]["tool_name"] == "transfer_to_laura"
