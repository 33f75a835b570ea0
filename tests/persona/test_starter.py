from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from voicecli.errors import UsageError
from voicecli.persona import load_persona
from voicecli.persona.lint import lint_persona
from voicecli.persona.starter import starter_files


def _write(folder: Path, name: str) -> Path:
    for file, text in starter_files(name).items():
        (folder / file).write_text(text, encoding="utf-8")
    return folder / f"{name}.yaml"


@pytest.mark.parametrize("name", ["sam", "front-desk", "desk_2"])
def test_every_valid_name_gives_a_persona_without_findings(tmp_path: Path, name: str) -> None:
    assert lint_persona(load_persona(_write(tmp_path, name))) == []


def test_the_starter_tool_answers_and_explains_a_bad_zone(tmp_path: Path) -> None:
    _write(tmp_path, "front-desk")
    spec = importlib.util.spec_from_file_location("front_desk_tools", tmp_path / "front_desk_tools.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    answer = module.get_current_time({"timezone": "Asia/Tokyo"})
    assert answer["timezone"] == "Asia/Tokyo" and answer["local_time"]
    assert module.get_current_time({"timezone": "Mars/Olympus"})["error"]["code"] == "unknown_timezone"


@pytest.mark.parametrize("name", ["", "Sam", "9lives", "a b", "../x"])
def test_names_that_cannot_be_files_and_modules_are_refused(name: str) -> None:
    with pytest.raises(UsageError):
        starter_files(name)
