"""The persona's shape, declared once.

Each section of a persona file is a strict pydantic dataclass below: the loader validates the YAML
data into them (``validate.py`` turns pydantic's errors into ``file:line: path: message`` lines),
``docs/persona.schema.json`` is generated from them (``schema.py``), and the rest of voicecli reads
the same objects. Two classes are the file's own (``ToolEntry``, ``Document``); the loader turns them
into what the rest reads: ``ToolSpec`` (a tool as declared to the model, including the built-in, the
derived and the MCP ones) and ``Persona`` (the document plus where it came from).

Rules across fields are ``model_validator``s; a problem they find is a ``PydanticCustomError`` of type
``persona`` whose ``at`` names the offending key below the validated object.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Strict, model_validator
from pydantic import Field as Spec
from pydantic.dataclasses import dataclass as shape
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from voicecli.persona.source import SourceMap

DEFAULT_TOOL_TIMEOUT_S = 20.0
DEFAULT_MCP_TIMEOUT_S = 20.0
# Built-in Live tools a persona may enable; which model supports which is the model table's business.
BUILTIN_TOOLS = ("google_search", "code_execution")
THINKING_LEVELS = ("minimal", "low", "medium", "high")
HANDOFF_TOOL_PREFIX = "transfer_to_"
EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}
PYTHON_BINDING = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")

# Unknown keys are errors. Validators are built on first use, not at import: start-up stays quick.
STRICT = ConfigDict(extra="forbid", defer_build=True)


def problem(message: str, *at: str | int) -> PydanticCustomError:
    """A cross-field problem, reported at ``at`` below the object being validated."""
    return PydanticCustomError("persona", "{message}", {"message": message, "at": at})


def _not_blank(text: str) -> str:
    if not text.strip():
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


Text = Annotated[str, Strict(), Spec(min_length=1), AfterValidator(_not_blank)]
Texts = list[Text]
Seconds = Annotated[float, Strict(), Spec(gt=0, allow_inf_nan=False)]
Millis = Annotated[int, Strict(), Spec(ge=0)]
Tokens = Annotated[int, Strict(), Spec(ge=1)]
Flag = Annotated[bool, Strict()]


def _doc(description: str, **extra: Any) -> Any:
    return Spec(description=description, **extra)


class _Shape:
    """Shared by every section: an explicit null means "unset" for a key that has a default."""

    @model_validator(mode="before")
    @classmethod
    def _null_means_unset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        optional = {
            info.alias or name
            for name, info in cls.__pydantic_fields__.items()  # type: ignore[attr-defined]
            if not info.is_required()
        }
        return {key: value for key, value in data.items() if not (value is None and key in optional)}


@shape(frozen=True, config=STRICT)
class PersonaInfo(_Shape):
    """Who the agent is."""

    name: Annotated[Text | None, _doc("The agent's name.")] = None
    role: Annotated[Text | None, _doc("What the agent does, in one line.")] = None
    description: Annotated[Text | None, _doc("Background and character, in prose.")] = None
    traits: Annotated[Texts, _doc("Short personality traits, each a phrase.")] = field(default_factory=list)
    language: Annotated[Text | None, _doc("BCP-47 language code the agent must speak, e.g. en-US.")] = None
    accent: Annotated[Text | None, _doc("Accent to speak with; needs an explicit language.")] = None
    voice: Annotated[Text | None, _doc("Prebuilt voice name, e.g. Kore.")] = None



@shape(frozen=True, config=STRICT)
class Greeting(_Shape):
    """How the agent opens the conversation (the Live API waits for the user unless asked to start)."""

    text: Annotated[Text, _doc("What the opening should do or say.")]
    facts: Annotated[dict[str, Text], _doc("Known facts about the user, to personalise the greeting.")] = field(
        default_factory=dict
    )


@shape(frozen=True, config=STRICT)
class Step(_Shape):
    """One conversational step."""

    instructions: Annotated[Text, _doc("What the agent does in this step.")]
    title: Annotated[Text | None, _doc("A short name for the step.")] = None
    kind: Annotated[
        Literal["once", "loop"],
        _doc("once: a one-time element such as intake; loop: open-ended conversation the user may stay in."),
    ] = "once"
    tools: Annotated[Texts, _doc("Tools (and handoffs) this step invokes, in order.")] = field(default_factory=list)


@shape(frozen=True, config=STRICT)
class Example(_Shape):
    """One situation and the response to it."""

    situation: Annotated[Text, Spec(alias="if", description="The situation.")]
    response: Annotated[Text, Spec(alias="then", description="What to do.")]


@shape(frozen=True, config=STRICT)
class Guardrails(_Shape):
    """What the agent must not do."""

    must_not: Annotated[Texts, _doc("Things the agent must never do.")] = field(default_factory=list)
    examples: Annotated[list[Example], _doc("If X happens, do Y.")] = field(default_factory=list)


@shape(frozen=True, config=STRICT)
class HandlerBinding(_Shape):
    """How a tool runs: exactly one of ``python`` ("module:function"), ``command`` (argv) or ``mcp``.

    ``mcp`` (server, tool) is never written in a file: tools from ``mcp_servers`` get it at start-up.
    """

    python: Annotated[
        Text | None,
        AfterValidator(lambda v: v if v is None else _python_binding(v)),
        _doc("module:function, the module file lying beside the persona file."),
    ] = None
    command: Annotated[
        Texts | None, _doc("argv; JSON arguments on stdin, JSON result on stdout.", min_length=1)
    ] = None
    timeout_s: Annotated[Seconds | None, _doc("Seconds before the call fails with a timeout.")] = None
    mcp: SkipJsonSchema[tuple[str, str] | None] = None

    @model_validator(mode="after")
    def _one_binding(self) -> HandlerBinding:
        if sum(value is not None for value in (self.python, self.command, self.mcp)) != 1:
            raise problem("needs exactly one of 'python' or 'command'")
        return self


@shape(frozen=True, config=STRICT)
class ToolEntry(_Shape):
    """A function the agent may call (name and handler), or a built-in Live tool (builtin and when)."""

    name: Annotated[Text | None, _doc("snake_case function name.")] = None
    builtin: Annotated[
        Literal["google_search", "code_execution"] | None,
        _doc("A built-in Live tool to enable instead of a function."),
    ] = None
    description: Annotated[
        Text | None, _doc("What the function does (derived from a Python handler's docstring if omitted).")
    ] = None
    when: Annotated[Text | None, _doc("The invocation condition: when the agent should call it.")] = None
    parameters: Annotated[
        dict[str, Any] | None,
        _doc("JSON Schema object describing the arguments (derived from a Python handler if omitted)."),
    ] = None
    behavior: Annotated[
        Literal["blocking", "non_blocking"],
        _doc("blocking: the agent waits for the result; non_blocking: it keeps talking."),
    ] = "blocking"
    timeout_s: Annotated[Seconds | None, _doc("Seconds before the call fails with a timeout.")] = None
    handler: Annotated[HandlerBinding | None, _doc("How the tool runs: exactly one of python or command.")] = None

    @model_validator(mode="after")
    def _function_or_builtin(self) -> ToolEntry:
        if self.builtin is not None:
            written = [key for key in ("name", "description", "parameters", "timeout_s", "handler")
                       if getattr(self, key) is not None]
            if self.behavior != "blocking":
                written.append("behavior")
            if written:
                raise problem(f"a built-in tool takes only 'builtin' and 'when', not {', '.join(written)}")
            return self
        if self.name is None:
            raise problem("needs 'name' (a function with a handler) or 'builtin' (a built-in Live tool)")
        if self.handler is None:
            raise problem("missing required key 'handler'")
        if self.handler.mcp is not None:
            raise problem("tools from an MCP server are chosen under mcp_servers", "handler")
        return self


@shape(frozen=True, config=STRICT)
class McpToolChoice(_Shape):
    """One tool of an MCP server, declared with its own invocation condition."""

    name: Annotated[Text, _doc("The tool's name as the server lists it.")]
    when: Annotated[Text | None, _doc("The invocation condition: when the agent should call it.")] = None


@shape(frozen=True, config=STRICT | ConfigDict(json_schema_extra={"required": ["name", "tools"]}))
class McpServer(_Shape):
    """A Model Context Protocol server: stdio (``command``, run in the persona's folder) or HTTP (``url``)."""

    name: Annotated[Text, _doc("A short name for the server, unique in this persona.")]
    command: Annotated[
        Texts | None, _doc("argv of a stdio server, run in the persona's folder.", min_length=1)
    ] = None
    url: Annotated[
        Text | None,
        AfterValidator(lambda v: v if v is None else _http_url(v)),
        _doc("URL of a streamable HTTP server."),
    ] = None
    tools: Annotated[
        list[McpToolChoice],
        _doc("Which of the server's tools to declare, each with its own invocation condition.", min_length=1),
    ] = field(default_factory=list)
    timeout_s: Annotated[Seconds, _doc("Seconds before a call (or the start-up listing) fails.")] = (
        DEFAULT_MCP_TIMEOUT_S
    )

    @model_validator(mode="after")
    def _transport_and_tools(self) -> McpServer:
        if (self.command is None) == (self.url is None):
            raise problem("needs exactly one of 'command' (stdio) or 'url' (streamable HTTP)")
        if not self.tools:
            raise problem("missing required key 'tools'")
        seen: set[str] = set()
        for index, choice in enumerate(self.tools):
            if choice.name in seen:
                raise problem(f"tool {choice.name!r} is listed twice", "tools", index, "name")
            seen.add(choice.name)
        return self

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


@shape(frozen=True, config=STRICT)
class Handoff(_Shape):
    """A transfer to another persona (``target``, written ``to``: a NAME as ``--persona`` takes, or a path
    relative to this file). Built positionally in code: ``Handoff("laura", "the caller asks for Laura")``."""

    target: Annotated[
        Text,
        Spec(
            alias="to",
            description="The target persona: a NAME (looked up beside this file, then as --persona does) or "
            "a path relative to this file.",
        ),
    ]
    when: Annotated[Text | None, _doc("The condition for the transfer, as for a tool.")] = None
    summary: Annotated[Flag, _doc("Pass a compact summary of the conversation so far (default true).")] = True
    facts: Annotated[Texts, _doc("Keys whose latest value in tool results is passed on, e.g. client_id.")] = field(
        default_factory=list
    )
    language_switch: Annotated[
        Flag, _doc("The target speaks another language and the switch is intended (default false).")
    ] = False

    @property
    def tool_name(self) -> str:
        return HANDOFF_TOOL_PREFIX + snake_name(handoff_stem(self.target))


@shape(frozen=True, config=STRICT)
class Compression(_Shape):
    """Context window compression."""

    trigger_tokens: Annotated[Tokens | None, _doc("Compress when the context reaches this size.")] = None
    target_tokens: Annotated[Tokens | None, _doc("Size to compress down to.")] = None

    @model_validator(mode="after")
    def _target_below_trigger(self) -> Compression:
        trigger, target = self.trigger_tokens, self.target_tokens
        if trigger is not None and target is not None and target >= trigger:
            raise problem("must be smaller than trigger_tokens", "target_tokens")
        return self


@shape(frozen=True, config=STRICT)
class Thinking(_Shape):
    """How much the model thinks before answering: a level or a token budget, never both."""

    level: Annotated[
        Literal["minimal", "low", "medium", "high"] | None, _doc("Thinking level (models that take a level).")
    ] = None
    budget: Annotated[
        Annotated[int, Strict(), Spec(ge=0)] | None,
        _doc("Thinking token budget (models that take a budget); 0 turns thinking off."),
    ] = None

    @model_validator(mode="after")
    def _one_setting(self) -> Thinking:
        if (self.level is None) == (self.budget is None):
            raise problem("needs exactly one of 'level' or 'budget'")
        return self


@shape(frozen=True, config=STRICT)
class ActivityDetection(_Shape):
    """Tuning of the service's detection of the user's speech (vad: server); unset keeps its default."""

    start_sensitivity: Annotated[
        Literal["low", "high"] | None, _doc("How readily speech is detected as starting.")
    ] = None
    end_sensitivity: Annotated[Literal["low", "high"] | None, _doc("How readily speech is detected as ended.")] = None
    prefix_padding_ms: Annotated[
        Millis | None, _doc("Speech needed before a start of speech is committed, in ms.")
    ] = None
    silence_duration_ms: Annotated[
        Millis | None, _doc("Silence needed before an end of speech is committed, in ms.")
    ] = None


@shape(frozen=True, config=STRICT)
class Session(_Shape):
    """Defaults for the conversation engine.

    The settings from ``proactive_audio`` on are wishes the model table checks per model; None means not
    asked for, the model's default applies.
    """

    model: Annotated[Text | None, _doc("Live model name; unset means the backend default.")] = None
    vad: Annotated[
        Literal["server", "local"], _doc("Who detects the user's speech: the server or voicecli.")
    ] = "server"
    compression: Annotated[Compression, _doc("Context window compression.")] = field(default_factory=Compression)
    input_transcription_languages: Annotated[
        Texts, _doc("BCP-47 codes for transcribing the user (default: persona.language).")
    ] = field(default_factory=list)
    output_transcription_languages: Annotated[
        Texts, _doc("BCP-47 codes for transcribing the agent (default: persona.language).")
    ] = field(default_factory=list)
    proactive_audio: Annotated[
        Flag | None, _doc("Let the model decide not to answer input that is not for it.")
    ] = None
    affective_dialog: Annotated[Flag | None, _doc("Let the model adapt its tone to the user's expression.")] = None
    thinking: Annotated[
        Thinking | None, _doc("How much the model thinks before answering: a level or a budget, never both.")
    ] = None
    activity_detection: Annotated[
        ActivityDetection | None, _doc("Tuning of the service's detection of the user's speech (vad: server).")
    ] = None
    activity_handling: Annotated[
        Literal["interrupt", "no_interrupt"] | None,
        _doc("interrupt: the user's speech interrupts the agent; no_interrupt: it does not."),
    ] = None
    media_resolution: Annotated[
        Literal["low", "medium", "high"] | None, _doc("Resolution of images and video sent to the model.")
    ] = None
    voice: Annotated[Text | None, _doc("Prebuilt voice name (same as persona.voice).")] = None


@shape(frozen=True, config=STRICT)
class Document(_Shape):
    """A voicecli persona: one agent per file."""

    persona: Annotated[PersonaInfo, _doc("Who the agent is.")] = field(default_factory=PersonaInfo)
    greeting: Annotated[
        Greeting | None,
        _doc("How the agent opens the conversation (the Live API waits for the user unless asked to start)."),
    ] = None
    rules: Annotated[list[Step], _doc("Conversational steps, in order.")] = field(default_factory=list)
    guardrails: Annotated[Guardrails | None, _doc("What the agent must not do.")] = None
    tools: Annotated[list[ToolEntry], _doc("Functions and built-in tools the agent may call.")] = field(
        default_factory=list
    )
    mcp_servers: Annotated[
        list[McpServer], _doc("Model Context Protocol servers to take tools from.")
    ] = field(default_factory=list)
    handoffs: Annotated[
        list[Handoff], _doc("Other personas this one may transfer the conversation to.")
    ] = field(default_factory=list)
    session: Annotated[Session, _doc("Defaults for the conversation engine.")] = field(default_factory=Session)

    @model_validator(mode="after")
    def _across_sections(self) -> Document:
        if self.persona.voice and self.session.voice and self.persona.voice != self.session.voice:
            raise problem("differs from persona.voice; set the voice in one place", "session", "voice")
        names: set[str] = set()
        for index, server in enumerate(self.mcp_servers):
            if server.name in names:
                raise problem(f"server name {server.name!r} is used twice", "mcp_servers", index, "name")
            names.add(server.name)
        return self


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
