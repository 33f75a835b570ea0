"""The wire format: parse and validate client frames, build server frames.

Client frames arrive with mixed camelCase and snake_case keys (the SDK emits both), so keys are
normalised to snake_case everywhere except inside free-form Structs (function ``args`` and
``response``, JSON schemas, labels). Server frames are always emitted in camelCase, because the
SDK's parsers only look up camelCase top-level keys.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from voicecli.emulator.models import REASON_NO_VOICES, ModelSpec, model_spec

CLOSE_INVALID = 1007
CLOSE_POLICY = 1008
CLOSE_INTERNAL = 1011
CLOSE_REASON_LIMIT = 123  # bytes; the real service truncates exactly there

REASON_INVALID_ARGUMENT = "Request contains an invalid argument."
REASON_NOT_SUPPORTED = "Operation is not implemented, or supported, or enabled."
REASON_SESSION_NOT_FOUND = "BidiGenerateContent session not found"
REASON_INTERNAL = "Internal error encountered."
REASON_DEADLINE = "Deadline expired before operation could complete."
REASON_BAD_KEY = "API key not valid. Please pass a valid API key."

# Keys whose values are free-form Structs or schemas: never renamed, never validated inside.
_OPAQUE_KEYS = frozenset(
    {"args", "response", "parameters", "parameters_json_schema", "response_json_schema", "labels",
     "response_schema"}
)

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")

SETUP_FIELDS = frozenset(
    {"model", "generation_config", "system_instruction", "tools", "realtime_input_config",
     "session_resumption", "context_window_compression", "input_audio_transcription",
     "output_audio_transcription", "proactivity", "history_config", "explicit_vad_signal",
     "avatar_config", "safety_settings", "labels"}
)
GENERATION_FIELDS = frozenset(
    {"response_modalities", "temperature", "top_p", "top_k", "max_output_tokens", "seed",
     "media_resolution", "speech_config", "thinking_config", "enable_affective_dialog",
     "translation_config", "candidate_count", "presence_penalty", "frequency_penalty",
     "audio_transcription_config", "enable_enhanced_civic_answers"}
)
# Generation options the Live API documents as unsupported: refused as a policy violation.
UNSUPPORTED_GENERATION_FIELDS = frozenset(
    {"response_logprobs", "logprobs", "response_mime_type", "response_schema", "response_json_schema",
     "stop_sequences", "routing_config", "model_selection_config", "audio_timestamp", "response_format"}
)
REALTIME_CONFIG_FIELDS = frozenset(
    {"automatic_activity_detection", "activity_handling", "turn_coverage",
     "interim_transcript_timestamp_enabled"}
)
VAD_FIELDS = frozenset(
    {"disabled", "start_of_speech_sensitivity", "end_of_speech_sensitivity", "prefix_padding_ms",
     "silence_duration_ms"}
)
RESUMPTION_FIELDS = frozenset({"handle", "transparent"})
COMPRESSION_FIELDS = frozenset({"trigger_tokens", "sliding_window"})
CLIENT_MESSAGE_FIELDS = frozenset({"client_content", "realtime_input", "tool_response", "context_update"})
CLIENT_CONTENT_FIELDS = frozenset({"turns", "turn_complete"})
REALTIME_FIELDS = frozenset(
    {"media_chunks", "audio", "audio_stream_end", "video", "text", "activity_start", "activity_end"}
)
FUNCTION_RESPONSE_FIELDS = frozenset({"id", "name", "response", "scheduling", "will_continue", "parts"})
SCHEDULING = frozenset({"SILENT", "WHEN_IDLE", "INTERRUPT"})


class ProtocolError(Exception):
    """A client frame the service refuses: the connection closes with ``code`` and ``reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = truncate_reason(reason)


def truncate_reason(reason: str) -> str:
    raw = reason.encode("utf-8")
    if len(raw) <= CLOSE_REASON_LIMIT:
        return reason
    return raw[:CLOSE_REASON_LIMIT].decode("utf-8", errors="ignore")


_SNAKE: dict[str, str] = {}


def snake(name: str) -> str:
    known = _SNAKE.get(name)
    if known is None:
        known = _CAMEL.sub("_", name).lower()
        if len(_SNAKE) < 4096:  # field names are few; free-form keys must not grow this without bound
            _SNAKE[name] = known
    return known


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def normalise_keys(value: Any) -> Any:
    """Rename every key to snake_case, leaving free-form Structs untouched."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = snake(key)
            out[name] = item if name in _OPAQUE_KEYS else normalise_keys(item)
        return out
    if isinstance(value, list):
        return [normalise_keys(item) for item in value]
    return value


def camelise_keys(value: Any) -> Any:
    """Rename every key to camelCase for the server direction (free-form Structs untouched)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out[camel(key)] = item if key in _OPAQUE_KEYS else camelise_keys(item)
        return out
    if isinstance(value, list):
        return [camelise_keys(item) for item in value]
    return value


_URLSAFE = bytes.maketrans(b"-_", b"+/")  # bytes.translate is several times faster than str.translate


def decode_b64(data: Any, where: str) -> bytes:
    """Decode either base64 alphabet, padded or not, as protobuf JSON does."""
    if not isinstance(data, str):
        raise ProtocolError(CLOSE_INVALID, f"Invalid value at '{where}' (TYPE_BYTES), expected base64")
    try:
        text = data.encode("ascii").translate(_URLSAFE)
        if len(text) % 4:
            text += b"=" * (-len(text) % 4)
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):  # UnicodeEncodeError is a ValueError
        raise ProtocolError(
            CLOSE_INVALID, f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed"
        ) from None


def encode_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def load_json(raw: str | bytes) -> dict[str, Any]:
    """One client frame's JSON object, keys as sent; malformed JSON is a 1007 refusal."""
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProtocolError(CLOSE_INVALID, "Invalid JSON payload received.") from None
    if not isinstance(value, dict):
        raise ProtocolError(CLOSE_INVALID, "Invalid JSON payload received. Expected an object.")
    return value


def parse_frame(raw: str | bytes) -> dict[str, Any]:
    """One client frame -> a snake_case dict; malformed JSON is a 1007 refusal."""
    normalised: dict[str, Any] = normalise_keys(load_json(raw))
    return normalised


def check_fields(obj: Any, allowed: frozenset[str], where: str) -> dict[str, Any]:
    """Refuse unknown names the way the service does (1007, snake_case path)."""
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise ProtocolError(CLOSE_INVALID, f"Invalid value at '{where}': expected an object.")
    for key in obj:
        if key not in allowed:
            raise ProtocolError(
                CLOSE_INVALID,
                f'Invalid JSON payload received. Unknown name "{camel(key)}" at \'{where}\': '
                "Cannot find field.",
            )
    return obj


def as_int(value: Any, where: str) -> int:
    """int64 fields may arrive as JSON numbers or strings."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ProtocolError(CLOSE_INVALID, f"Invalid value at '{where}' (TYPE_INT64), {value!r}") from None


@dataclass
class VadSettings:
    disabled: bool = False
    start_sensitivity: str = "START_SENSITIVITY_HIGH"
    end_sensitivity: str = "END_SENSITIVITY_HIGH"
    prefix_padding_ms: int = 20
    silence_duration_ms: int = 500
    interrupts: bool = True  # activity_handling START_OF_ACTIVITY_INTERRUPTS


@dataclass
class SessionConfig:
    """The parts of ``setup`` the emulator acts on."""

    model: str
    model_id: str
    vertex: bool
    modality: str = "AUDIO"
    system_instruction: str = ""
    vad: VadSettings = field(default_factory=VadSettings)
    resumption: bool = False
    handle: str | None = None
    transparent: bool = False
    trigger_tokens: int | None = None
    target_tokens: int | None = None
    input_transcription: bool = False
    output_transcription: bool = False
    tool_behaviour: dict[str, str] = field(default_factory=dict)  # name -> BLOCKING | NON_BLOCKING
    # The function declarations as sent (snake_case keys outside the schemas), each with ``behavior``
    # set to what this model does with it: what the generic brain and the recogniser's hints read.
    declarations: list[dict[str, Any]] = field(default_factory=list)
    # Built-in tools the setup declares (snake_case: google_search, code_execution, url_context, ...).
    builtin_tools: tuple[str, ...] = ()

    @property
    def compression(self) -> bool:
        return self.trigger_tokens is not None


def model_id_of(model: str) -> str:
    """``models/x``, ``publishers/google/models/x`` or ``projects/.../models/x`` -> ``x``."""
    return model.rsplit("models/", 1)[-1] if "models/" in model else model


def _enum(value: Any, allowed: set[str], where: str) -> str:
    name = str(value).upper()
    if name not in allowed:
        raise ProtocolError(CLOSE_INVALID, f"Invalid value at '{where}' (TYPE_ENUM), \"{value}\"")
    return name


def _text_of(content: Any) -> str:
    if not isinstance(content, dict):
        return ""
    parts = content.get("parts") or []
    return "\n".join(p.get("text", "") for p in parts if isinstance(p, dict) and p.get("text"))


def parse_setup(frame: dict[str, Any], *, vertex: bool, known_models: frozenset[str],
                api_version: str, field_reports: bool = False) -> SessionConfig:
    """Validate the first frame and extract a SessionConfig, or raise ProtocolError."""
    if set(frame) != {"setup"}:
        names = ", ".join(sorted(frame)) or "nothing"
        raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} Expected setup first, got {names}.")
    setup = check_fields(frame["setup"], SETUP_FIELDS, "setup")
    model = setup.get("model")
    if not isinstance(model, str) or not model:
        raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} setup.model is required.")
    model_id = model_id_of(model)
    spec = model_spec(model_id, "vertex" if vertex else "developer")
    if model_id not in known_models or spec is None:
        raise ProtocolError(
            CLOSE_POLICY,
            f"models/{model_id} is not found for API version {api_version}, or is not supported for "
            "bidiGenerateContent. Call ListModels to see the list of available models and their "
            "supported methods.",
        )
    config = SessionConfig(model=model, model_id=model_id, vertex=vertex)
    if "explicit_vad_signal" in setup and not vertex:
        check_fields({"explicit_vad_signal": 1}, frozenset(), "setup")

    generation = check_fields(
        setup.get("generation_config"), GENERATION_FIELDS | UNSUPPORTED_GENERATION_FIELDS,
        "setup.generation_config",
    )
    if set(generation) & UNSUPPORTED_GENERATION_FIELDS:
        raise ProtocolError(CLOSE_POLICY, REASON_NOT_SUPPORTED)
    modalities = generation.get("response_modalities") or ["AUDIO"]
    if not isinstance(modalities, list) or len(modalities) != 1:
        raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} Exactly one response modality.")
    config.modality = _enum(modalities[0], {"AUDIO", "TEXT"}, "setup.generation_config.response_modalities")
    check_capabilities(spec, setup, generation, config.modality, api_version=api_version,
                       field_reports=field_reports, vertex=vertex)
    config.system_instruction = _text_of(setup.get("system_instruction"))

    realtime = check_fields(setup.get("realtime_input_config"), REALTIME_CONFIG_FIELDS,
                            "setup.realtime_input_config")
    vad = check_fields(realtime.get("automatic_activity_detection"), VAD_FIELDS,
                       "setup.realtime_input_config.automatic_activity_detection")
    where = "setup.realtime_input_config.automatic_activity_detection"
    settings = VadSettings(disabled=bool(vad.get("disabled", False)))
    if "start_of_speech_sensitivity" in vad:
        settings.start_sensitivity = _enum(
            vad["start_of_speech_sensitivity"],
            {"START_SENSITIVITY_HIGH", "START_SENSITIVITY_LOW", "START_SENSITIVITY_UNSPECIFIED"}, where,
        ).replace("UNSPECIFIED", "HIGH")
    if "end_of_speech_sensitivity" in vad:
        settings.end_sensitivity = _enum(
            vad["end_of_speech_sensitivity"],
            {"END_SENSITIVITY_HIGH", "END_SENSITIVITY_LOW", "END_SENSITIVITY_UNSPECIFIED"}, where,
        ).replace("UNSPECIFIED", "HIGH")
    if "prefix_padding_ms" in vad:
        settings.prefix_padding_ms = as_int(vad["prefix_padding_ms"], f"{where}.prefix_padding_ms")
    if "silence_duration_ms" in vad:
        settings.silence_duration_ms = as_int(vad["silence_duration_ms"], f"{where}.silence_duration_ms")
    handling = realtime.get("activity_handling", "START_OF_ACTIVITY_INTERRUPTS")
    settings.interrupts = _enum(
        handling, {"START_OF_ACTIVITY_INTERRUPTS", "NO_INTERRUPTION", "ACTIVITY_HANDLING_UNSPECIFIED"},
        "setup.realtime_input_config.activity_handling",
    ) != "NO_INTERRUPTION"
    config.vad = settings

    if "session_resumption" in setup:
        resumption = check_fields(setup["session_resumption"], RESUMPTION_FIELDS, "setup.session_resumption")
        config.resumption = True
        if "transparent" in resumption and not vertex:
            # The Developer API has no such field.
            check_fields({"transparent": 1}, frozenset(), "setup.session_resumption")
        handle = resumption.get("handle")
        config.handle = str(handle) if handle else None
        config.transparent = bool(resumption.get("transparent", False))

    if "context_window_compression" in setup:
        compression = check_fields(setup["context_window_compression"], COMPRESSION_FIELDS,
                                   "setup.context_window_compression")
        config.trigger_tokens = as_int(compression.get("trigger_tokens", 104_857),
                                       "setup.context_window_compression.trigger_tokens")
        window = check_fields(compression.get("sliding_window"), frozenset({"target_tokens"}),
                              "setup.context_window_compression.sliding_window")
        config.target_tokens = as_int(window.get("target_tokens", config.trigger_tokens // 2),
                                      "setup.context_window_compression.sliding_window.target_tokens")

    config.input_transcription = "input_audio_transcription" in setup
    config.output_transcription = "output_audio_transcription" in setup
    config.declarations = _declarations(setup.get("tools"), spec)
    config.builtin_tools = _builtin_tools(setup.get("tools"))
    config.tool_behaviour = {str(d["name"]): str(d["behavior"]) for d in config.declarations}
    return config


def check_capabilities(spec: ModelSpec, setup: dict[str, Any], generation: dict[str, Any], modality: str, *,
                       api_version: str, field_reports: bool, vertex: bool) -> None:
    """Refuse what this model does not accept, worded as the service words it (docs/emulator.md, Models)."""
    if modality not in spec.modalities:
        reason = REASON_NO_VOICES if modality == "TEXT" else (
            f"{REASON_INVALID_ARGUMENT} Response modality {modality} is not supported by this model.")
        raise ProtocolError(CLOSE_INVALID, reason)
    if modality == "TEXT" and spec.text_fails_internally and field_reports:
        raise ProtocolError(CLOSE_INTERNAL, REASON_INTERNAL)
    if spec.kind == "translate" and (setup.get("tools") or setup.get("system_instruction")):
        raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} This model takes no tools or instructions.")
    alpha_only = spec.alpha_only_features and api_version != "v1alpha"
    proactivity = check_fields(setup.get("proactivity"), frozenset({"proactive_audio"}), "setup.proactivity")
    if "proactive_audio" in proactivity:
        wanted = bool(proactivity["proactive_audio"])
        if spec.proactive_audio == "refused" and wanted:
            raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} Proactive audio is not supported.")
        if spec.proactive_audio == "always_on" and not wanted:
            raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} Proactive audio cannot be disabled.")
    if "proactivity" in setup and alpha_only:
        check_fields({"proactivity": 1}, frozenset(), "setup")
    if generation.get("enable_affective_dialog") and (spec.affective_dialog == "refused" or alpha_only):
        check_fields({"enable_affective_dialog": 1}, frozenset(), "setup.generation_config")
    thinking = check_fields(generation.get("thinking_config"),
                            frozenset({"thinking_budget", "thinking_level", "include_thoughts"}),
                            "setup.generation_config.thinking_config")
    if thinking and spec.thinking == "refused":
        check_fields({"thinking_config": 1}, frozenset(), "setup.generation_config")
    if "thinking_budget" in thinking and spec.thinking == "level":
        raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} Use thinking_level with this model.")
    if "thinking_level" in thinking and spec.thinking == "budget":
        raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} Use thinking_budget with this model.")
    if "thinking_level" in thinking and spec.thinking == "level":
        level = str(thinking["thinking_level"]).lower()
        if level != "thinking_level_unspecified" and level not in spec.thinking_levels:
            raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} thinking_level {level.upper()} is not "
                                               "supported by this model.")
    # media_resolution where the table lists it only for Vertex AI is accepted: the documentation calls it a
    # Vertex addition, no report says the Developer API refuses it, and clients such as pipecat send it by
    # default. It concerns video input, which the emulator does not take.
    if "google_search" in _builtin_tools(setup.get("tools")) and not spec.google_search:
        raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} Google Search is not supported by this model.")


def _builtin_tools(tools: Any) -> tuple[str, ...]:
    """The built-in tools named in ``setup.tools`` (every key of a tool entry but function declarations)."""
    if not isinstance(tools, list):
        return ()
    names = [key for tool in tools if isinstance(tool, dict) for key in tool if key != "function_declarations"]
    return tuple(dict.fromkeys(names))


def _declarations(tools: Any, spec: ModelSpec) -> list[dict[str, Any]]:
    declarations: list[dict[str, Any]] = []
    if not isinstance(tools, list):
        return declarations
    for tool in tools:
        if not isinstance(tool, dict):
            raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} setup.tools")
        for declaration in tool.get("function_declarations") or []:
            name = declaration.get("name") if isinstance(declaration, dict) else None
            if not isinstance(name, str) or not name:
                raise ProtocolError(CLOSE_INVALID, f"{REASON_INVALID_ARGUMENT} function declaration name")
            behaviour = str(declaration.get("behavior") or spec.default_behavior).upper()
            if not spec.blocking_allowed:
                behaviour = "NON_BLOCKING"  # every call is asynchronous on this model
            elif not spec.non_blocking:
                behaviour = "BLOCKING"  # the model waits for every answer, whatever is declared
            behaviour = "NON_BLOCKING" if behaviour == "NON_BLOCKING" else "BLOCKING"
            declarations.append({**declaration, "behavior": behaviour})
    return declarations


# ---- server frames (camelCase) -------------------------------------------------------------


def dump(message: dict[str, Any]) -> bytes:
    """Server frames go out as binary JSON, as the real service sends them."""
    return json.dumps(message, separators=(",", ":")).encode("utf-8")


def setup_complete(session_id: str | None) -> dict[str, Any]:
    return {"setupComplete": {"sessionId": session_id} if session_id else {}}


def audio_chunk(pcm: bytes, rate: int = 24_000) -> dict[str, Any]:
    part = {"inlineData": {"mimeType": f"audio/pcm;rate={rate}", "data": encode_b64(pcm)}}
    return {"serverContent": {"modelTurn": {"role": "model", "parts": [part]}}}


def text_chunk(text: str) -> dict[str, Any]:
    return {"serverContent": {"modelTurn": {"role": "model", "parts": [{"text": text}]}}}


def output_transcription(text: str, finished: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text}
    if finished:
        body["finished"] = True
    return {"serverContent": {"outputTranscription": body}}


def input_transcription(text: str, finished: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"text": text}
    if finished:
        body["finished"] = True
    return {"serverContent": {"inputTranscription": body}}


def server_flag(name: str) -> dict[str, Any]:
    return {"serverContent": {name: True}}


def turn_complete(usage: dict[str, Any] | None) -> dict[str, Any]:
    message: dict[str, Any] = {"serverContent": {"turnComplete": True}}
    if usage:
        message["usageMetadata"] = usage
    return message


def tool_call(calls: list[dict[str, Any]]) -> dict[str, Any]:
    return {"toolCall": {"functionCalls": calls}}


def tool_call_cancellation(ids: list[str]) -> dict[str, Any]:
    return {"toolCallCancellation": {"ids": ids}}


def go_away(seconds: float) -> dict[str, Any]:
    return {"goAway": {"timeLeft": duration(seconds)}}


def duration(seconds: float) -> str:
    """Proto Duration JSON: ``"50s"``, ``"1.500s"``."""
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{seconds:.3f}s"


def resumption_update(handle: str, resumable: bool, last_index: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"newHandle": handle, "resumable": resumable}
    if last_index is not None:
        body["lastConsumedClientMessageIndex"] = str(last_index)
    return {"sessionResumptionUpdate": body}


def usage_metadata(*, prompt: dict[str, int], response: dict[str, int], vertex: bool) -> dict[str, Any]:
    """Token counts per modality (TEXT, AUDIO, IMAGE), as the service reports them.

    Developer names (response*) or the Vertex names the SDK's Vertex converter reads (candidates*).
    A modality with no tokens is left out of the details, as the service does.
    """
    prefix = "candidates" if vertex else "response"
    prompt_total, response_total = sum(prompt.values()), sum(response.values())
    usage: dict[str, Any] = {
        "promptTokenCount": prompt_total,
        f"{prefix}TokenCount": response_total,
        "totalTokenCount": prompt_total + response_total,
    }
    for key, counts in (("promptTokensDetails", prompt), (f"{prefix}TokensDetails", response)):
        details = [{"modality": modality, "tokenCount": count} for modality, count in sorted(counts.items()) if count]
        if details:
            usage[key] = details
    return usage
