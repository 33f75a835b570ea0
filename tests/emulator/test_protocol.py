from __future__ import annotations

import base64
import json

import pytest

from voicecli.emulator import KNOWN_MODELS
from voicecli.emulator import protocol as p


def setup(**fields: object) -> dict[str, object]:
    return p.parse_frame(json.dumps({"setup": {"model": "models/gemini-3.8-live", **fields}}))


def test_keys_are_normalised_except_inside_free_form_structs() -> None:
    frame = p.parse_frame(json.dumps(
        {"tool_response": {"functionResponses": [{"id": "1", "response": {"clientId": "x"}}]}}))
    assert frame == {"tool_response": {"function_responses": [{"id": "1", "response": {"clientId": "x"}}]}}


@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
@pytest.mark.parametrize("strip_padding", [False, True])
def test_both_base64_alphabets_with_or_without_padding(encode: object, strip_padding: bool) -> None:
    raw = bytes([0xFF, 0xFE, 0xFD, 0x01])
    text = encode(raw).decode()  # type: ignore[operator]
    if strip_padding:
        text = text.rstrip("=")
    assert p.decode_b64(text, "x") == raw


def test_bad_base64_is_1007() -> None:
    with pytest.raises(p.ProtocolError) as caught:
        p.decode_b64("@@@", "realtime_input.audio.data")
    assert caught.value.code == 1007


def test_setup_parses_mixed_spellings() -> None:
    config = p.parse_setup(setup(
        realtimeInputConfig={"automatic_activity_detection": {"disabled": True, "silenceDurationMs": 300}},
        contextWindowCompression={"trigger_tokens": "2000", "sliding_window": {"targetTokens": 500}},
        sessionResumption={}, tools=[{"functionDeclarations": [{"name": "f", "behavior": "NON_BLOCKING"}]}],
    ), vertex=False, known_models=KNOWN_MODELS, api_version="v1beta")
    assert config.vad.disabled and config.vad.silence_duration_ms == 300
    assert (config.trigger_tokens, config.target_tokens) == (2000, 500)
    assert config.resumption and config.handle is None
    assert config.tool_behaviour == {"f": "NON_BLOCKING"}


@pytest.mark.parametrize(
    ("fields", "vertex", "code", "words"),
    [
        ({"bogusField": 1}, False, 1007, 'Unknown name "bogusField" at \'setup\''),
        ({"sessionResumption": {"transparent": True}}, False, 1007, "setup.session_resumption"),
        ({"generationConfig": {"responseModalities": ["AUDIO", "TEXT"]}}, False, 1007, "modality"),
        ({"generationConfig": {"responseMimeType": "application/json"}}, False, 1008, "not implemented"),
    ],
)
def test_setup_refusals(fields: dict[str, object], vertex: bool, code: int, words: str) -> None:
    with pytest.raises(p.ProtocolError) as caught:
        p.parse_setup(setup(**fields), vertex=vertex, known_models=KNOWN_MODELS, api_version="v1")
    assert caught.value.code == code
    assert words in caught.value.reason


def test_unknown_model_is_1008_truncated_at_123_bytes() -> None:
    frame = p.parse_frame(json.dumps({"setup": {"model": "models/no-such-model"}}))
    with pytest.raises(p.ProtocolError) as caught:
        p.parse_setup(frame, vertex=False, known_models=KNOWN_MODELS, api_version="v1beta")
    assert caught.value.code == 1008
    assert caught.value.reason.startswith("models/no-such-model is not found for API version v1beta")
    assert len(caught.value.reason.encode()) == 123


def test_first_frame_must_be_setup() -> None:
    with pytest.raises(p.ProtocolError) as caught:
        p.parse_setup({"config": {}}, vertex=False, known_models=KNOWN_MODELS, api_version="v1")
    assert caught.value.code == 1007


def test_usage_names_follow_the_backend() -> None:
    assert "responseTokenCount" in p.usage_metadata(prompt={"TEXT": 1}, response={"AUDIO": 2}, vertex=False)
    vertex = p.usage_metadata(prompt={"TEXT": 1}, response={"AUDIO": 2}, vertex=True)
    assert vertex["candidatesTokenCount"] == 2 and "responseTokenCount" not in vertex
    assert vertex["candidatesTokensDetails"] == [{"modality": "AUDIO", "tokenCount": 2}]


def test_usage_counts_each_modality_on_its_own_line() -> None:
    usage = p.usage_metadata(prompt={"TEXT": 30, "AUDIO": 50, "IMAGE": 0}, response={"TEXT": 4, "AUDIO": 75},
                             vertex=False)
    assert usage["promptTokenCount"] == 80 and usage["responseTokenCount"] == 79
    assert usage["totalTokenCount"] == 159
    assert usage["promptTokensDetails"] == [{"modality": "AUDIO", "tokenCount": 50},
                                            {"modality": "TEXT", "tokenCount": 30}]  # no empty IMAGE line
    assert usage["responseTokensDetails"] == [{"modality": "AUDIO", "tokenCount": 75},
                                              {"modality": "TEXT", "tokenCount": 4}]


def test_durations_are_proto_strings() -> None:
    assert p.go_away(50) == {"goAway": {"timeLeft": "50s"}}
    assert p.duration(1.5) == "1.500s"
