from __future__ import annotations

import contextlib
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicecli.errors import PersonaError
from voicecli.persona import load_persona
from voicecli.persona.loader import resolve_persona_path


def _problems(path: Path) -> list[str]:
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    return caught.value.problems


def test_loads_a_valid_persona(tmp_path: Path, samples: Any) -> None:
    persona = load_persona(samples.write(tmp_path, samples.base_document()))
    assert persona.name == "Sam"
    assert persona.persona.language == "en-GB"
    assert persona.tools[0].handler.python == "shop_tools:lookup_order"
    assert persona.session.vad == "server"
    assert persona.session.input_transcription_languages == ["en-GB"]
    assert persona.sections == ["persona", "greeting", "rules", "guardrails", "tools"]


def test_reports_every_problem_at_once_with_lines(tmp_path: Path, samples: Any) -> None:
    text = """\
persona:
  name: Sam
  nickname: Sammy
rules:
  - instructions: 12
    kind: sometimes
tools:
  - name: lookup
    behavior: later
    handler: {python: "x:y"}
session:
  vad: maybe
  compression: {trigger_tokens: "lots"}
"""
    problems = _problems(samples.write(tmp_path, text))
    joined = "\n".join(problems)
    assert f"{tmp_path / 'sam.yaml'}:3: persona.nickname: unknown key 'nickname'" in joined
    assert ":5: rules[0].instructions: expected a string, got an integer" in joined
    assert ":6: rules[0].kind: must be one of once, loop" in joined
    assert ":9: tools[0].behavior: must be one of blocking, non_blocking" in joined
    assert ":12: session.vad: must be one of server, local" in joined
    assert ":13: session.compression.trigger_tokens: expected an integer, got a string" in joined
    assert len(problems) == 6


def test_missing_required_keys_and_handler_choice(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    del document["tools"][0]["handler"]
    document["tools"].append({"name": "other", "handler": {"python": "a:b", "command": ["true"]}})
    document["rules"][0].pop("instructions")
    problems = "\n".join(_problems(samples.write(tmp_path, document)))
    assert "tools[0]: missing required key 'handler'" in problems
    assert "rules[0]: missing required key 'instructions'" in problems


def test_handler_needs_exactly_one_binding(tmp_path: Path, samples: Any) -> None:
    document = samples.base_document()
    document["tools"][0]["handler"] = {"python": "shop_tools:lookup_order", "command": ["true"]}
    assert any(
        "exactly one of 'python' or 'command'" in p for p in _problems(samples.write(tmp_path, document))
    )


def test_broken_yaml_gives_line_and_column(tmp_path: Path, samples: Any) -> None:
    path = samples.write(tmp_path, "persona:\n  name: [unclosed\nrules: []\n")
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    assert "not valid YAML" in caught.value.message
    assert caught.value.problems[0].startswith(f"{path}:3:")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="not found"):
        load_persona(tmp_path / "absent.yaml")


def test_document_must_be_a_mapping(tmp_path: Path, samples: Any) -> None:
    assert "(document): expected a mapping, got a list" in _problems(samples.write(tmp_path, "- 1\n- 2\n"))[0]


def test_name_resolution_prefers_local_personas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, samples: Any
) -> None:
    local = samples.write(tmp_path / "personas", samples.base_document(), name="laura.yaml")
    monkeypatch.chdir(tmp_path)
    assert resolve_persona_path("laura") == local
    monkeypatch.chdir(tmp_path / "personas")  # no ./personas here: falls back to the shipped one
    assert resolve_persona_path("laura").parent.name == "personas"
    assert resolve_persona_path("laura") != local


def test_unknown_name_lists_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, samples: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PersonaError) as caught:
        resolve_persona_path("nobody")
    assert any(str(tmp_path / "personas") in line for line in caught.value.problems)


_keys = st.sampled_from(
    [
        "persona",
        "greeting",
        "rules",
        "guardrails",
        "tools",
        "session",
        "name",
        "handler",
        "python",
        "type",
        "x",
    ]
)
_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(string.printable, max_size=8)
_documents = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=_documents)
def test_random_documents_raise_only_persona_error(tmp_path: Path, document: Any) -> None:
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with contextlib.suppress(PersonaError):  # anything else fails the test
        load_persona(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(string.printable + "éß\u2028", max_size=80))
def test_random_text_raises_only_persona_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "random.yaml"
    path.write_text(text, encoding="utf-8")
    with contextlib.suppress(PersonaError):  # anything else fails the test
        load_persona(path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mutation=st.dictionaries(
        st.sampled_from(
            ["name", "description", "when", "parameters", "behavior", "timeout_s", "handler", "extra"]
        ),
        _scalars,
        max_size=3,
    )
)
def test_mutated_tools_raise_only_persona_error(
    tmp_path: Path, mutation: dict[str, Any], samples: Any
) -> None:
    document = samples.base_document()
    document["tools"][0].update(mutation)
    with contextlib.suppress(PersonaError):  # anything else fails the test
        load_persona(samples.write(tmp_path, document))
