"""The Live models the emulator serves, and what each accepts in ``setup``.

Sources for each fact are listed in docs/models.md (summarised in docs/emulator.md, "Models"). Where
field reports disagree with the documentation, the documented behaviour is the default and
``field_reports=True`` switches to what was reported (see ``EmulatorOptions.field_reports``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Backend = Literal["developer", "vertex"]
Support = Literal["supported", "always_on", "refused"]
Thinking = Literal["level", "budget", "refused"]
Kind = Literal["dialog", "translate", "transcribe"]
TextInput = Literal["client_content", "realtime_input"]

BOTH: frozenset[Backend] = frozenset({"developer", "vertex"})
DEVELOPER: frozenset[Backend] = frozenset({"developer"})
VERTEX: frozenset[Backend] = frozenset({"vertex"})

# How the service words a refused response modality on native-audio models.
REASON_NO_VOICES = "Cannot extract voices from a non-audio request."


@dataclass(frozen=True)
class ModelSpec:
    model_id: str
    backends: frozenset[Backend]
    modalities: frozenset[str] = frozenset({"AUDIO"})
    kind: Kind = "dialog"
    non_blocking: bool = True  # NON_BLOCKING declarations are honoured
    default_behavior: Literal["BLOCKING", "NON_BLOCKING"] = "BLOCKING"
    blocking_allowed: bool = True  # False: every call is asynchronous whatever is declared
    scheduling: bool = True  # FunctionResponse.scheduling is honoured
    proactive_audio: Support = "supported"
    affective_dialog: Support = "supported"
    thinking: Thinking = "budget"
    thinking_levels: frozenset[str] = frozenset()  # the thinking_level values a "level" model accepts
    transparent_resumption: frozenset[Backend] = VERTEX
    google_search: bool = True
    media_resolution: frozenset[Backend] = BOTH  # backends on which generation_config.media_resolution is accepted
    text_input: TextInput = "client_content"  # how a typed turn is accepted mid-session
    # False: client content is taken only as initial history; field reports (field_reports=True) say
    # the service then closes 1007 on client content after the first model turn.
    client_content_mid_session: bool = True
    # The developer API accepts proactivity and affective dialog only on v1alpha for this model.
    alpha_only_features: bool = False
    # Field report: a TEXT modality is closed with 1011 rather than accepted.
    text_fails_internally: bool = False


_LIVE_38 = ModelSpec("gemini-3.8-live", BOTH, default_behavior="NON_BLOCKING", proactive_audio="always_on",
                     affective_dialog="refused", thinking="refused", media_resolution=VERTEX)
_FLASH_31 = ModelSpec("gemini-3.1-flash-live-preview", DEVELOPER, modalities=frozenset({"AUDIO", "TEXT"}),
                      non_blocking=False, scheduling=False, proactive_audio="refused", affective_dialog="refused",
                      thinking="level", thinking_levels=frozenset({"minimal", "low", "medium", "high"}),
                      text_input="realtime_input", text_fails_internally=True, client_content_mid_session=False)
_NATIVE_25 = ModelSpec("gemini-2.5-flash-native-audio-preview-12-2025", DEVELOPER, alpha_only_features=True,
                       text_input="realtime_input")
_NATIVE_25_VERTEX = ModelSpec("gemini-live-2.5-flash-native-audio", VERTEX, text_input="realtime_input")
_TRANSLATE = ModelSpec("gemini-3.5-live-translate-preview", DEVELOPER, kind="translate", non_blocking=False,
                       scheduling=False, proactive_audio="refused", affective_dialog="refused", thinking="refused",
                       google_search=False, text_input="realtime_input")

MODELS: dict[str, ModelSpec] = {
    spec.model_id: spec
    for spec in (
        _LIVE_38,
        replace(_LIVE_38, model_id="gemini-3.8-live-extended-thinking", blocking_allowed=False, thinking="level",
                thinking_levels=frozenset({"low", "medium", "high"})),
        _FLASH_31,
        replace(_FLASH_31, model_id="gemini-3.1-flash-live-preview-04-2026", backends=VERTEX),
        _NATIVE_25,
        replace(_NATIVE_25, model_id="gemini-2.5-flash-native-audio-preview-09-2025"),
        replace(_NATIVE_25, model_id="gemini-2.5-flash-native-audio-latest"),
        _NATIVE_25_VERTEX,
        replace(_NATIVE_25_VERTEX, model_id="gemini-live-2.5-flash-preview-native-audio-09-2025"),
        # The half-cascade Vertex model: text or audio out, none of the native-audio features.
        replace(_NATIVE_25_VERTEX, model_id="gemini-live-2.5-flash", modalities=frozenset({"AUDIO", "TEXT"}),
                proactive_audio="refused", affective_dialog="refused"),
        _TRANSLATE,
        replace(_TRANSLATE, model_id="gemini-3.5-transcribe-live", modalities=frozenset({"TEXT"}), kind="transcribe"),
    )
}

KNOWN_MODELS = frozenset(MODELS)


def model_spec(model_id: str, backend: Backend) -> ModelSpec | None:
    """The model as served on ``backend``, or None when that backend does not serve it."""
    spec = MODELS.get(model_id)
    return spec if spec is not None and backend in spec.backends else None
