"""What each Live model accepts, so ``talk`` sends a setup the model can serve.

One row per model id; the sources for every fact are in docs/models.md. The emulator keeps its own table
(voicecli/emulator/models.py: it is an independent implementation of the service); a test holds the two
in agreement. This module is pure: it decides, ``voicecli.live.config`` turns decisions into SDK types.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from voicecli.errors import UsageError

Backend = Literal["developer", "vertex"]
Behavior = Literal["BLOCKING", "NON_BLOCKING"]
Support = Literal["supported", "always_on", "refused"]
Thinking = Literal["level", "budget", "refused"]
Kind = Literal["dialog", "translate", "transcribe"]
TextInput = Literal["client_content", "realtime_input"]

_BOTH: frozenset[Backend] = frozenset({"developer", "vertex"})
_DEVELOPER: frozenset[Backend] = frozenset({"developer"})
_VERTEX: frozenset[Backend] = frozenset({"vertex"})

THINKING_LEVELS = ("minimal", "low", "medium", "high")  # in order of effort
_ALL_LEVELS = frozenset(THINKING_LEVELS)
# voicecli's own correspondence between the two thinking settings (the service documents none): a
# budget becomes the lowest level whose budget covers it; a level becomes its budget.
LEVEL_BUDGETS = {"minimal": 0, "low": 1024, "medium": 8192, "high": 24576}


@dataclass(frozen=True)
class ModelCapabilities:
    model_id: str
    backends: frozenset[Backend]
    kind: Kind = "dialog"  # translate/transcribe models take no system instruction or tools
    modalities: frozenset[str] = frozenset({"AUDIO"})
    non_blocking: bool = True  # NON_BLOCKING declarations are honoured
    default_behavior: Behavior = "BLOCKING"  # what a declaration without ``behavior`` gets
    blocking_allowed: bool = True  # False: every call is asynchronous
    scheduling: bool = True  # a function response's SILENT / WHEN_IDLE / INTERRUPT is honoured
    proactive_audio: Support = "supported"
    affective_dialog: Support = "supported"
    # The Developer API takes proactivity and affective dialog only on API version v1alpha for this model.
    alpha_only_features: bool = False
    thinking: Thinking = "budget"
    thinking_levels: frozenset[str] = frozenset()  # the levels a "level" model accepts
    transparent_resumption: frozenset[Backend] = _VERTEX
    google_search: bool = True
    media_resolution: frozenset[Backend] = _BOTH  # backends on which ``media_resolution`` is accepted
    text_input: TextInput = "client_content"  # how a typed turn is accepted mid-session
    # False: client content only seeds history; field reports say 1007 after the first model turn.
    client_content_mid_session: bool = True


_LIVE_38 = ModelCapabilities("gemini-3.8-live", _BOTH, default_behavior="NON_BLOCKING", proactive_audio="always_on",
                             affective_dialog="refused", thinking="refused", media_resolution=_VERTEX)
_FLASH_31 = ModelCapabilities("gemini-3.1-flash-live-preview", _DEVELOPER, modalities=frozenset({"AUDIO", "TEXT"}),
                              non_blocking=False, scheduling=False, proactive_audio="refused",
                              affective_dialog="refused", thinking="level", thinking_levels=_ALL_LEVELS,
                              text_input="realtime_input", client_content_mid_session=False)
_NATIVE_25 = ModelCapabilities("gemini-2.5-flash-native-audio-preview-12-2025", _DEVELOPER, alpha_only_features=True,
                               text_input="realtime_input")
_NATIVE_25_VERTEX = replace(_NATIVE_25, model_id="gemini-live-2.5-flash-native-audio", backends=_VERTEX,
                            alpha_only_features=False)
_TRANSLATE = ModelCapabilities("gemini-3.5-live-translate-preview", _DEVELOPER, kind="translate", non_blocking=False,
                               scheduling=False, proactive_audio="refused", affective_dialog="refused",
                               thinking="refused", google_search=False, text_input="realtime_input")

MODEL_CAPABILITIES: dict[str, ModelCapabilities] = {
    row.model_id: row
    for row in (
        _LIVE_38,
        replace(_LIVE_38, model_id="gemini-3.8-live-extended-thinking", blocking_allowed=False, thinking="level",
                thinking_levels=frozenset({"low", "medium", "high"})),
        _FLASH_31,
        replace(_FLASH_31, model_id="gemini-3.1-flash-live-preview-04-2026", backends=_VERTEX),
        _NATIVE_25,
        replace(_NATIVE_25, model_id="gemini-2.5-flash-native-audio-preview-09-2025"),
        replace(_NATIVE_25, model_id="gemini-2.5-flash-native-audio-latest"),
        _NATIVE_25_VERTEX,
        replace(_NATIVE_25_VERTEX, model_id="gemini-live-2.5-flash-preview-native-audio-09-2025"),
        # The half-cascade Vertex model: text or audio out, none of the native-audio features.
        replace(_NATIVE_25_VERTEX, model_id="gemini-live-2.5-flash", modalities=frozenset({"AUDIO", "TEXT"}),
                proactive_audio="refused", affective_dialog="refused"),
        _TRANSLATE,
        replace(_TRANSLATE, model_id="gemini-3.5-transcribe-live", kind="transcribe", modalities=frozenset({"TEXT"})),
    )
}


def capabilities(model: str) -> ModelCapabilities | None:
    """The row for ``model`` (``models/x`` or ``x``), or None for a model this table does not know."""
    return MODEL_CAPABILITIES.get(model.rsplit("models/", 1)[-1])


def unknown_model_notice(model: str) -> str:
    return f"model {model!r} is not in voicecli's model table: its setup is sent unchecked"


def adjust_declarations(declarations: list[dict[str, Any]], model: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Declarations the model serves as the persona meant them, and a notice for each change it forces.

    A blocking tool is declared BLOCKING explicitly where the model's default is NON_BLOCKING; a
    non-blocking tool becomes blocking on a model without NON_BLOCKING, and the reverse on a model
    that calls every tool asynchronously.
    """
    row = capabilities(model)
    if row is None:
        return declarations, [unknown_model_notice(model)]
    adjusted: list[dict[str, Any]] = []
    notices: list[str] = []
    for declaration in declarations:
        name, wanted = declaration["name"], declaration.get("behavior", "BLOCKING")
        behavior: str | None = wanted
        if wanted == "NON_BLOCKING" and not row.non_blocking:
            behavior = None
            notices.append(f"{name} is non-blocking, but {row.model_id} has no NON_BLOCKING calls: "
                           "it runs as a blocking call")
        elif wanted == "BLOCKING" and not row.blocking_allowed:
            behavior = "NON_BLOCKING"
            notices.append(f"{name} is blocking, but {row.model_id} calls every tool asynchronously: "
                           "it runs as a non-blocking call")
        elif wanted == "BLOCKING" and row.default_behavior == "BLOCKING":
            behavior = None  # the model's default: nothing to say
        fields = {key: value for key, value in declaration.items() if key != "behavior"}
        adjusted.append(fields if behavior is None else {**fields, "behavior": behavior})
    return adjusted, notices


# ---- session settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionWants:
    """The persona's ``session`` settings that depend on the model (None: not set, the model's default)."""

    proactive_audio: bool | None = None
    affective_dialog: bool | None = None
    thinking_level: str | None = None
    thinking_budget: int | None = None
    start_sensitivity: str | None = None  # "low" | "high"
    end_sensitivity: str | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None
    activity_handling: str | None = None  # "interrupt" | "no_interrupt"
    media_resolution: str | None = None  # "low" | "medium" | "high"
    builtin_tools: tuple[str, ...] = ()  # e.g. ("google_search",)
    has_tools: bool = False  # function declarations (or handoffs) to send
    server_vad: bool = True  # False: the client marks activity itself (vad: local)

    @property
    def detection_tuned(self) -> bool:
        return any(value is not None for value in (self.start_sensitivity, self.end_sensitivity,
                                                   self.prefix_padding_ms, self.silence_duration_ms))


@dataclass(frozen=True)
class SessionPlan:
    """What goes into the setup after the model's rules, the notices saying what changed and why."""

    wants: SessionWants
    notices: tuple[str, ...] = ()
    api_version: str | None = None  # set when a feature needs a version other than the SDK's default
    transparent_resumption: bool = False


def plan_session(wants: SessionWants, model: str, backend: Backend) -> SessionPlan:
    """Fit the persona's session settings to ``model`` on ``backend``.

    A setting the model cannot take is adjusted with one notice when the conversation still works
    without it; a persona that cannot run on the model at all raises UsageError (exit 2) before any
    connection. An unknown model gets everything as asked (``adjust_declarations`` warns once).
    """
    row = capabilities(model)
    if row is None:
        return SessionPlan(wants, transparent_resumption=backend == "vertex")
    _refuse_what_cannot_run(row, wants, backend)
    notices: list[str] = []
    name = row.model_id
    proactive, affective = wants.proactive_audio, wants.affective_dialog
    if proactive and row.proactive_audio == "refused":
        proactive = None
        notices.append(f"proactive audio is not available on {name}: the model answers every turn")
    elif proactive is False and row.proactive_audio == "always_on":
        proactive = None
        notices.append(f"proactive audio is always on for {name}: proactive_audio: false is not sent")
    elif proactive is False:
        proactive = None  # off is the default; sending it would need v1alpha on some models for nothing
    if affective and row.affective_dialog == "refused":
        affective = None
        notices.append(f"affective dialog is not available on {name}: it is not sent")
    elif affective is False:
        affective = None
    level, budget, thinking_notice = _fit_thinking(row, wants.thinking_level, wants.thinking_budget)
    notices += [thinking_notice] if thinking_notice else []
    resolution = wants.media_resolution
    if resolution is not None and backend not in row.media_resolution:
        resolution = None
        notices.append(f"media_resolution is not accepted by {name} on the {_label(backend)}: it is not sent")
    adjusted = replace(wants, proactive_audio=proactive, affective_dialog=affective, thinking_level=level,
                       thinking_budget=budget, media_resolution=resolution)
    if wants.detection_tuned and not wants.server_vad:
        adjusted = replace(adjusted, start_sensitivity=None, end_sensitivity=None, prefix_padding_ms=None,
                           silence_duration_ms=None)
        notices.append("activity_detection tunes the service's speech detection, which vad: local turns off: "
                       "it is not sent")
    alpha = row.alpha_only_features and backend == "developer" and bool(proactive or affective)
    return SessionPlan(adjusted, tuple(notices), api_version="v1alpha" if alpha else None,
                       transparent_resumption=backend in row.transparent_resumption)


def _refuse_what_cannot_run(row: ModelCapabilities, wants: SessionWants, backend: Backend) -> None:
    if backend not in row.backends:
        siblings = [r.model_id for r in MODEL_CAPABILITIES.values()
                    if backend in r.backends and r.model_id.startswith(row.model_id.split("-preview")[0])]
        hint = f"on the {_label(backend)} use {siblings[0]}" if siblings else "choose another --model or --backend"
        raise UsageError(f"{row.model_id} is not served on the {_label(backend)}", hint=hint)
    if row.kind != "dialog":
        raise UsageError(f"{row.model_id} is a {row.kind} model: it takes no system instruction or tools, "
                         "so a persona cannot run on it", hint="choose a dialog model with --model")
    missing = [tool for tool in wants.builtin_tools if tool == "google_search" and not row.google_search]
    if missing:
        raise UsageError(f"the persona uses {missing[0]}, which {row.model_id} does not have",
                         hint="choose a model with Google Search (docs/models.md) or remove the tool")


def _fit_thinking(row: ModelCapabilities, level: str | None,
                  budget: int | None) -> tuple[str | None, int | None, str | None]:
    """(level, budget, notice): the thinking setting this model takes that is nearest the persona's."""
    if level is None and budget is None:
        return None, None, None
    asked = f"thinking level {level}" if level is not None else f"thinking budget {budget}"
    if row.thinking == "refused":
        return None, None, f"{row.model_id} takes no thinking settings: {asked} is not sent"
    if row.thinking == "budget":
        if level is None:
            return None, budget, None
        return None, LEVEL_BUDGETS[level], f"{row.model_id} takes a thinking budget: {asked} becomes budget " \
                                           f"{LEVEL_BUDGETS[level]}"
    wanted = level if level is not None else _level_for_budget(budget)
    if wanted is None:  # a dynamic budget (-1): the model's own default level
        return None, None, f"{row.model_id} takes a thinking level: {asked} (dynamic) is not sent"
    nearest = _nearest_level(wanted, row.thinking_levels)
    if level is not None and nearest == level:
        return level, None, None
    return nearest, None, f"{row.model_id} takes a thinking level: {asked} becomes level {nearest}"


def _level_for_budget(budget: int | None) -> str | None:
    if budget is None or budget < 0:
        return None
    return next((lvl for lvl in THINKING_LEVELS if budget <= LEVEL_BUDGETS[lvl]), THINKING_LEVELS[-1])


def _nearest_level(level: str, allowed: frozenset[str]) -> str:
    order = {name: index for index, name in enumerate(THINKING_LEVELS)}
    return min(allowed, key=lambda name: (abs(order[name] - order[level]), order[name]))


def _label(backend: Backend) -> str:
    return "Vertex AI" if backend == "vertex" else "Gemini Developer API"
