"""The persona's shape, declared once.

Each section of a persona file is a dataclass below, strict when validated: the loader validates
the YAML data into them with pydantic (``validate.py`` turns its errors into ``file:line: path:
message`` lines), ``docs/persona.schema.json`` is generated from them (``schema.py``), and the rest
of voicecli reads the same objects. They are stdlib dataclasses declared with ``declare.py``'s
pydantic-free vocabulary, so importing this module stays quick; pydantic reads them when the
validator is first needed. Two classes are the file's own (``ToolEntry``, ``Document``); the loader
turns them into what the rest reads: ``ToolSpec`` (a tool as declared to the model, including the
built-in, the derived and the MCP ones) and ``Persona`` (the document plus where it came from).

Rules across fields are each section's ``check``; a problem it finds is a ``problem()`` (pydantic's
custom error of type ``persona``) whose ``at`` names the offending key below the validated object.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from voicecli.persona.declare import STRICT, Core, RuntimeOnly, Shape, problem, spec
from voicecli.persona.source import SourceMap

if TYPE_CHECKING:
    from pydantic_core import CoreSchema

DEFAULT_TOOL_TIMEOUT_S = 20.0
DEFAULT_MCP_TIMEOUT_S = 20.0
# Built-in Live tools a persona may enable; which model supports which is the model table's business.
BUILTIN_TOOLS = ("google_search", "code_execution")
THINKING_LEVELS = ("minimal", "low", "medium", "high")
HANDOFF_TOOL_PREFIX = "transfer_to_"
EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}
PYTHON_BINDING = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")


def _not_blank(text: str) -> str:
    if not text.strip():
        from pydantic_core import PydanticCustomError

        raise PydanticCustomError("blank", "must not be empty")
    return text


def _python_binding(binding: str) -> str:
    if not PYTHON_BINDING.match(binding):
        raise problem(f"expected 'module:function', got {binding!r}")
    return binding


def _http_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise problem(f"expected an http:// or https:// URL, got {url!r}")
    return url


# Core schemas of the reusable types, built with the validator. Strict: a YAML 42 is never a string.


def _text(*then: Any) -> CoreSchema:
    """A non-blank string, then each of ``then`` in turn."""
    from pydantic_core import core_schema

    schema = core_schema.no_info_after_validator_function(
        _not_blank, core_schema.str_schema(strict=True, min_length=1)
    )
    for check in then:
        schema = core_schema.no_info_after_validator_function(check, schema)
    return schema


def _number(kind: type, **bounds: Any) -> CoreSchema:
    from pydantic_core import core_schema

    if kind is bool:
        return core_schema.bool_schema(strict=True)
    if kind is int:
        return core_schema.int_schema(strict=True, **bounds)
    return core_schema.float_schema(strict=True, **bounds)


Text = Annotated[str, Core(_text)]
Texts = list[Text]
PythonRef = Annotated[str, Core(partial(_text, _python_binding))]
HttpUrl = Annotated[str, Core(partial(_text, _http_url))]
Seconds = Annotated[float, Core(partial(_number, float, gt=0, allow_inf_nan=False))]
Millis = Annotated[int, Core(partial(_number, int, ge=0))]
Tokens = Annotated[int, Core(partial(_number, int, ge=1))]
Budget = Annotated[int, Core(partial(_number, int, ge=0))]
Flag = Annotated[bool, Core(partial(_number, bool))]


@dataclasses.dataclass(frozen=True)
class PersonaInfo(Shape):
    """Who the agent is."""

    name: Text | None = spec("The agent's name.", default=None)
    role: Text | None = spec("What the agent does, in one line.", default=None)
    description: Text | None = spec("Background and character, in prose.", default=None)
    traits: Texts = spec("Short personality traits, each a phrase.", default_factory=list)
    language: Text | None = spec("BCP-47 language code the agent must speak, e.g. en-US.", default=None)
    accent: Text | None = spec("Accent to speak with; needs an explicit language.", default=None)
    voice: Text | None = spec("Prebuilt voice name, e.g. Kore.", default=None)


@dataclasses.dataclass(frozen=True)
class Greeting(Shape):
    """How the agent opens the conversation (the Live API waits for the user unless asked to start)."""

    text: Text = spec("What the opening should do or say.")
    facts: dict[str, Text] = spec("Known facts about the user, to personalise the greeting.", default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Step(Shape):
    """One conversational step."""

    instructions: Text = spec("What the agent does in this step.")
    title: Text | None = spec("A short name for the step.", default=None)
    kind: Literal["once", "loop"] = spec(
        "once: a one-time element such as intake; loop: open-ended conversation the user may stay in.",
        default="once",
    )
    tools: Texts = spec("Tools (and handoffs) this step invokes, in order.", default_factory=list)


@dataclasses.dataclass(frozen=True)
class Example(Shape):
    """One situation and the response to it."""

    situation: Text = spec("The situation.", alias="if")
    response: Text = spec("What to do.", alias="then")


@dataclasses.dataclass(frozen=True)
class Guardrails(Shape):
    """What the agent must not do."""

    must_not: Texts = spec("Things the agent must never do.", default_factory=list)
    examples: list[Example] = spec("If X happens, do Y.", default_factory=list)


@dataclasses.dataclass(frozen=True)
class HandlerBinding(Shape):
    """How a tool runs: exactly one of ``python`` ("module:function"), ``command`` (argv) or ``mcp``.

    ``mcp`` (server, tool) is never written in a file: tools from ``mcp_servers`` get it at start-up.
    """

    python: PythonRef | None = spec("module:function, the module file lying beside the persona file.", default=None)
    command: Texts | None = spec("argv; JSON arguments on stdin, JSON result on stdout.", default=None, min_length=1)
    timeout_s: Seconds | None = spec("Seconds before the call fails with a timeout.", default=None)
    mcp: Annotated[tuple[str, str] | None, RuntimeOnly()] = spec(default=None, runtime_only=True)

    def check(self) -> None:
        if sum(value is not None for value in (self.python, self.command, self.mcp)) != 1:
            raise problem("needs exactly one of 'python' or 'command'")


@dataclasses.dataclass(frozen=True)
class ToolEntry(Shape):
    """A function the agent may call (name and handler), or a built-in Live tool (builtin and when)."""

    name: Text | None = spec("snake_case function name.", default=None)
    builtin: Literal["google_search", "code_execution"] | None = spec(
        "A built-in Live tool to enable instead of a function.", default=None
    )
    description: Text | None = spec(
        "What the function does (derived from a Python handler's docstring if omitted).", default=None
    )
    when: Text | None = spec("The invocation condition: when the agent should call it.", default=None)
    parameters: dict[str, Any] | None = spec(
        "JSON Schema object describing the arguments (derived from a Python handler if omitted).", default=None
    )
    behavior: Literal["blocking", "non_blocking"] = spec(
        "blocking: the agent waits for the result; non_blocking: it keeps talking.", default="blocking"
    )
    timeout_s: Seconds | None = spec("Seconds before the call fails with a timeout.", default=None)
    handler: HandlerBinding | None = spec("How the tool runs: exactly one of python or command.", default=None)

    def check(self) -> None:
        if self.builtin is not None:
            written = [key for key in ("name", "description", "parameters", "timeout_s", "handler")
                       if getattr(self, key) is not None]
            if self.behavior != "blocking":
                written.append("behavior")
            if written:
                raise problem(f"a built-in tool takes only 'builtin' and 'when', not {', '.join(written)}")
            return
        if self.name is None:
            raise problem("needs 'name' (a function with a handler) or 'builtin' (a built-in Live tool)")
        if self.handler is None:
            raise problem("missing required key 'handler'")
        if self.handler.mcp is not None:
            raise problem("tools from an MCP server are chosen under mcp_servers", "handler")


@dataclasses.dataclass(frozen=True)
class McpToolChoice(Shape):
    """One tool of an MCP server, declared with its own invocation condition."""

    name: Text = spec("The tool's name as the server lists it.")
    when: Text | None = spec("The invocation condition: when the agent should call it.", default=None)


@dataclasses.dataclass(frozen=True)
class McpServer(Shape):
    """A Model Context Protocol server: stdio (``command``, run in the persona's folder) or HTTP (``url``)."""

    __pydantic_config__ = {**STRICT, "json_schema_extra": {"required": ["name", "tools"]}}

    name: Text = spec("A short name for the server, unique in this persona.")
    command: Texts | None = spec("argv of a stdio server, run in the persona's folder.", default=None, min_length=1)
    url: HttpUrl | None = spec("URL of a streamable HTTP server.", default=None)
    tools: list[McpToolChoice] = spec(
        "Which of the server's tools to declare, each with its own invocation condition.",
        default_factory=list, min_length=1,
    )
    timeout_s: Seconds = spec("Seconds before a call (or the start-up listing) fails.", default=DEFAULT_MCP_TIMEOUT_S)

    def check(self) -> None:
        if (self.command is None) == (self.url is None):
            raise problem("needs exactly one of 'command' (stdio) or 'url' (streamable HTTP)")
        if not self.tools:
            raise problem("missing required key 'tools'")
        seen: set[str] = set()
        for index, choice in enumerate(self.tools):
            if choice.name in seen:
                raise problem(f"tool {choice.name!r} is listed twice", "tools", index, "name")
            seen.add(choice.name)

    def choice(self, tool: str) -> McpToolChoice | None:
        return next((choice for choice in self.tools if choice.name == tool), None)


def snake_name(text: str) -> str:
    """``"Front Desk"``, ``"front-desk"``, ``"FrontDesk"`` -> ``"front_desk"``; never empty."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    return text or "agent"


def handoff_stem(target: str) -> str:
    """The persona a handoff names: ``laura`` -> ``laura``; ``../desk/front.yaml`` -> ``front``."""
    name = Path(target).name
    for suffix in (".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@dataclasses.dataclass(frozen=True)
class Handoff(Shape):
    """A transfer to another persona (``target``, written ``to``: a NAME as ``--persona`` takes, or a path
    relative to this file). Built positionally in code: ``Handoff("laura", "the caller asks for Laura")``."""

    target: Text = spec(
        "The target persona: a NAME (looked up beside this file, then as --persona does) or "
        "a path relative to this file.",
        alias="to",
    )
    when: Text | None = spec("The condition for the transfer, as for a tool.", default=None)
    summary: Flag = spec("Pass a compact summary of the conversation so far (default true).", default=True)
    facts: Texts = spec("Keys whose latest value in tool results is passed on, e.g. client_id.", default_factory=list)
    language_switch: Flag = spec(
        "The target speaks another language and the switch is intended (default false).", default=False
    )

    @property
    def tool_name(self) -> str:
        return HANDOFF_TOOL_PREFIX + snake_name(handoff_stem(self.target))


@dataclasses.dataclass(frozen=True)
class Compression(Shape):
    """Context window compression."""

    trigger_tokens: Tokens | None = spec("Compress when the context reaches this size.", default=None)
    target_tokens: Tokens | None = spec("Size to compress down to.", default=None)

    def check(self) -> None:
        trigger, target = self.trigger_tokens, self.target_tokens
        if trigger is not None and target is not None and target >= trigger:
            raise problem("must be smaller than trigger_tokens", "target_tokens")


@dataclasses.dataclass(frozen=True)
class Thinking(Shape):
    """How much the model thinks before answering: a level or a token budget, never both."""

    level: Literal["minimal", "low", "medium", "high"] | None = spec(
        "Thinking level (models that take a level).", default=None
    )
    budget: Budget | None = spec(
        "Thinking token budget (models that take a budget); 0 turns thinking off.", default=None
    )

    def check(self) -> None:
        if (self.level is None) == (self.budget is None):
            raise problem("needs exactly one of 'level' or 'budget'")


@dataclasses.dataclass(frozen=True)
class ActivityDetection(Shape):
    """Tuning of the service's detection of the user's speech (vad: server); unset keeps its default."""

    start_sensitivity: Literal["low", "high"] | None = spec(
        "How readily speech is detected as starting.", default=None
    )
    end_sensitivity: Literal["low", "high"] | None = spec("How readily speech is detected as ended.", default=None)
    prefix_padding_ms: Millis | None = spec("Speech needed before a start of speech is committed, in ms.", default=None)
    silence_duration_ms: Millis | None = spec(
        "Silence needed before an end of speech is committed, in ms.", default=None
    )


@dataclasses.dataclass(frozen=True)
class Session(Shape):
    """Defaults for the conversation engine.

    The settings from ``proactive_audio`` on are wishes the model table checks per model; None means not
    asked for, the model's default applies.
    """

    model: Text | None = spec("Live model name; unset means the backend default.", default=None)
    vad: Literal["server", "local"] = spec("Who detects the user's speech: the server or voicecli.", default="server")
    compression: Compression = spec("Context window compression.", default_factory=Compression)
    input_transcription_languages: Texts = spec(
        "BCP-47 codes for transcribing the user (default: persona.language).", default_factory=list
    )
    output_transcription_languages: Texts = spec(
        "BCP-47 codes for transcribing the agent (default: persona.language).", default_factory=list
    )
    proactive_audio: Flag | None = spec("Let the model decide not to answer input that is not for it.", default=None)
    affective_dialog: Flag | None = spec("Let the model adapt its tone to the user's expression.", default=None)
    thinking: Thinking | None = spec(
        "How much the model thinks before answering: a level or a budget, never both.", default=None
    )
    activity_detection: ActivityDetection | None = spec(
        "Tuning of the service's detection of the user's speech (vad: server).", default=None
    )
    activity_handling: Literal["interrupt", "no_interrupt"] | None = spec(
        "interrupt: the user's speech interrupts the agent; no_interrupt: it does not.", default=None
    )
    media_resolution: Literal["low", "medium", "high"] | None = spec(
        "Resolution of images and video sent to the model.", default=None
    )
    voice: Text | None = spec("Prebuilt voice name (same as persona.voice).", default=None)


@dataclasses.dataclass(frozen=True)
class Document(Shape):
    """A voicecli persona: one agent per file."""

    persona: PersonaInfo = spec("Who the agent is.", default_factory=PersonaInfo)
    greeting: Greeting | None = spec(
        "How the agent opens the conversation (the Live API waits for the user unless asked to start).",
        default=None,
    )
    rules: list[Step] = spec("Conversational steps, in order.", default_factory=list)
    guardrails: Guardrails | None = spec("What the agent must not do.", default=None)
    tools: list[ToolEntry] = spec("Functions and built-in tools the agent may call.", default_factory=list)
    mcp_servers: list[McpServer] = spec("Model Context Protocol servers to take tools from.", default_factory=list)
    handoffs: list[Handoff] = spec("Other personas this one may transfer the conversation to.", default_factory=list)
    session: Session = spec("Defaults for the conversation engine.", default_factory=Session)

    def check(self) -> None:
        if self.persona.voice and self.session.voice and self.persona.voice != self.session.voice:
            raise problem("differs from persona.voice; set the voice in one place", "session", "voice")
        names: set[str] = set()
        for index, server in enumerate(self.mcp_servers):
            if server.name in names:
                raise problem(f"server name {server.name!r} is used twice", "mcp_servers", index, "name")
            names.add(server.name)


# What the rest of voicecli reads: a tool as declared to the model, and the loaded persona.


@dataclasses.dataclass(frozen=True)
class ToolSpec:
    """A function the agent may call, or (``builtin`` set, ``handler`` None) a built-in Live tool."""

    name: str
    handler: HandlerBinding | None
    description: str | None = None
    when: str | None = None
    parameters: dict[str, Any] = field(default_factory=lambda: dict(EMPTY_PARAMETERS))
    behavior: Literal["blocking", "non_blocking"] = "blocking"
    timeout_s: float = DEFAULT_TOOL_TIMEOUT_S
    builtin: str | None = None
    # Which of description/parameters came from the Python handler's signature, not the file.
    derived: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Persona:
    path: Path
    persona: PersonaInfo
    session: Session
    greeting: Greeting | None = None
    rules: list[Step] = field(default_factory=list)
    guardrails: Guardrails | None = None
    tools: list[ToolSpec] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)
    mcp_servers: list[McpServer] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # top-level keys, in file order
    source: SourceMap | None = None

    @property
    def name(self) -> str:
        """The persona's name, or the file's stem when the file gives none."""
        return self.persona.name or self.path.stem

    @property
    def folder(self) -> Path:
        return self.path.parent

    def tool(self, name: str) -> ToolSpec | None:
        return next((tool for tool in self.tools if tool.name == name), None)

    @property
    def function_tools(self) -> list[ToolSpec]:
        """Tools declared as functions (a handler runs them): everything but the built-in Live tools."""
        return [tool for tool in self.tools if tool.builtin is None]

    @property
    def builtin_tools(self) -> list[str]:
        """Built-in Live tools to enable (``google_search``, ...), in file order."""
        return [tool.builtin for tool in self.tools if tool.builtin is not None]

    def handoff_for_tool(self, name: str) -> Handoff | None:
        """The handoff a ``transfer_to_...`` function call stands for, if any."""
        return next((handoff for handoff in self.handoffs if handoff.tool_name == name), None)

    def with_tools(self, extra: list[ToolSpec]) -> Persona:
        """This persona with ``extra`` tools (found at start-up, e.g. from MCP) appended after its own."""
        return replace(self, tools=[*self.tools, *extra])
