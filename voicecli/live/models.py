"""What each Live model accepts, so ``talk`` sends a setup the model can serve.

One row per model id; sources for each fact are in docs/emulator.md ("Models"). The emulator keeps its
own table (it is an independent implementation of the service); a test holds the two in agreement.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

Backend = Literal["developer", "vertex"]
Behavior = Literal["BLOCKING", "NON_BLOCKING"]

_BOTH: frozenset[Backend] = frozenset({"developer", "vertex"})
_DEVELOPER: frozenset[Backend] = frozenset({"developer"})
_VERTEX: frozenset[Backend] = frozenset({"vertex"})


@dataclass(frozen=True)
class ModelCapabilities:
    model_id: str
    backends: frozenset[Backend]
    modalities: frozenset[str] = frozenset({"AUDIO"})
    non_blocking: bool = True  # NON_BLOCKING declarations are honoured
    default_behavior: Behavior = "BLOCKING"  # what a declaration without ``behavior`` gets
    blocking_allowed: bool = True  # False: every call is asynchronous
    proactive_audio: Literal["supported", "always_on", "refused"] = "supported"
    affective_dialog: bool = True
    thinking: Literal["level", "budget", "refused"] = "budget"


_LIVE_38 = ModelCapabilities("gemini-3.8-live", _BOTH, default_behavior="NON_BLOCKING", proactive_audio="always_on",
                             affective_dialog=False, thinking="refused")
_FLASH_31 = ModelCapabilities("gemini-3.1-flash-live-preview", _DEVELOPER, modalities=frozenset({"AUDIO", "TEXT"}),
                              non_blocking=False, proactive_audio="refused", affective_dialog=False,
                              thinking="level")
_NATIVE_25 = ModelCapabilities("gemini-2.5-flash-native-audio-preview-12-2025", _DEVELOPER)
_NATIVE_25_VERTEX = ModelCapabilities("gemini-live-2.5-flash-native-audio", _VERTEX)
_TRANSLATE = ModelCapabilities("gemini-3.5-live-translate-preview", _DEVELOPER, non_blocking=False,
                               proactive_audio="refused", affective_dialog=False, thinking="refused")

MODEL_CAPABILITIES: dict[str, ModelCapabilities] = {
    row.model_id: row
    for row in (
        _LIVE_38,
        replace(_LIVE_38, model_id="gemini-3.8-live-extended-thinking", blocking_allowed=False, thinking="level"),
        _FLASH_31,
        replace(_FLASH_31, model_id="gemini-3.1-flash-live-preview-04-2026", backends=_VERTEX),
        _NATIVE_25,
        replace(_NATIVE_25, model_id="gemini-2.5-flash-native-audio-preview-09-2025"),
        replace(_NATIVE_25, model_id="gemini-2.5-flash-native-audio-latest"),
        _NATIVE_25_VERTEX,
        replace(_NATIVE_25_VERTEX, model_id="gemini-live-2.5-flash-preview-native-audio-09-2025"),
        replace(_NATIVE_25_VERTEX, model_id="gemini-live-2.5-flash", modalities=frozenset({"AUDIO", "TEXT"}),
                proactive_audio="refused", affective_dialog=False),
        _TRANSLATE,
        replace(_TRANSLATE, model_id="gemini-3.5-transcribe-live", modalities=frozenset({"TEXT"})),
    )
}


def capabilities(model: str) -> ModelCapabilities | None:
    """The row for ``model`` (``models/x`` or ``x``), or None for a model this table does not know."""
    return MODEL_CAPABILITIES.get(model.rsplit("models/", 1)[-1])


def adjust_declarations(declarations: list[dict[str, Any]], model: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Declarations the model serves as the persona meant them, and a notice for each change it forces.

    A blocking tool is declared BLOCKING explicitly where the model's default is NON_BLOCKING; a
    non-blocking tool becomes blocking on a model without NON_BLOCKING, and the reverse on a model
    that calls every tool asynchronously.
    """
    row = capabilities(model)
    if row is None:
        return declarations, [f"model {model!r} is not in voicecli's model table: its setup is sent unchecked"]
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
