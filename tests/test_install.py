"""A regular (non-editable) install works from anywhere: the built wheel, in a fresh venv, from an empty folder.

The wheel is built offline without build isolation, then installed with ``--no-deps`` into a new venv
that borrows this venv's dependencies through a ``.pth`` file; the checkout is not on its path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# What a source distribution of voicecli holds; the wheel is built from a copy of just these.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "voicecli", "personas")


@dataclass
class Installed:
    venv: Path
    site_packages: Path
    workdir: Path
    env: dict[str, str]

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.venv / "bin" / "voicecli"), *args], cwd=cwd or self.workdir,
                              env=self.env, capture_output=True, text=True, timeout=120, check=False)


def _pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    source.mkdir()
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, source / name)
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(base / "dist"), str(source))
    (wheel,) = (base / "dist").glob("voicecli-*.whl")

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    _pip("--python", str(python), "install", "--no-deps", "--no-index", str(wheel))
    site_packages = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip())
    # The dependencies come from this venv; its editable voicecli does not (a .pth line adds no .pth files).
    (site_packages / "dev-venv-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    workdir = base / "empty"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_", "PYTHON"))}
    env["VOICECLI_HOME"] = str(base / "home")
    yield Installed(venv, site_packages, workdir, env)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    done = subprocess.run([str(installed.venv / "bin" / "python"), "-c", "import voicecli; print(voicecli.__file__)"],
                          cwd=installed.workdir, env=installed.env, capture_output=True, text=True, check=True)
    assert Path(done.stdout.strip()).is_relative_to(installed.site_packages)


def test_persona_show_finds_laura(installed: Installed) -> None:
    done = installed.run("persona", "show", "laura", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["name"] == "Laura"
    assert Path(shown["path"]) == installed.site_packages / "voicecli" / "personas" / "laura.yaml"


def test_persona_list_shows_the_shipped_personas(installed: Installed) -> None:
    done = installed.run("persona", "list")
    assert done.returncode == 0, done.stderr
    shipped = installed.site_packages / "voicecli" / "personas"
    assert [line.split() for line in done.stdout.splitlines()[1:]] == [
        ["front_desk", "en-US", "1", str(shipped / "front_desk.yaml")],
        ["laura", "en-US", "5", str(shipped / "laura.yaml")],
    ]


def test_lint_persona_of_the_shipped_folder_is_clean(installed: Installed) -> None:
    folder = installed.site_packages / "voicecli" / "personas"
    for args in (("lint-persona",), ("lint-persona", "--strict", str(folder))):
        done = installed.run(*args)
        assert done.returncode == 0, done.stdout
        assert done.stdout.splitlines()[-1] == "clean: 2 files checked, 1 scenario and 2 test files skipped"


def _agent_lines(done: subprocess.CompletedProcess[str]) -> tuple[list[str], dict[str, Any]]:
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    agent = [e["text"] for e in events if e["type"] == "transcript" and e["role"] == "agent"]
    return agent, events[-1]


def test_scripted_offline_conversation_with_laura(installed: Installed) -> None:
    # The emulator's generic brain answers from her instruction: the greeting is in her name.
    agent, last = _agent_lines(installed.run("talk", "--offline", "--persona", "laura", "--say", "hi",
                                             "--max-turns", "1", "--fast", "--json", "--speed", "0"))
    assert any("Laura" in line for line in agent)
    assert last["type"] == "summary" and last["outcome"] == "completed"


def test_her_shipped_scenario_runs_from_the_install(installed: Installed) -> None:
    shipped = installed.site_packages / "voicecli" / "personas" / "laura.scenario.yaml"
    agent, last = _agent_lines(installed.run("talk", "--offline", "--persona", "laura", "--scenario", str(shipped),
                                             "--no-recognition", "--say", "hi", "--max-turns", "1", "--fast",
                                             "--json", "--speed", "0"))
    assert agent and agent[-1] == yaml.safe_load(shipped.read_text())["steps"][0]["say"]
    assert last["outcome"] == "completed"


def test_the_front_desk_hands_over_to_the_shipped_laura(installed: Installed) -> None:
    done = subprocess.run([str(installed.venv / "bin" / "voicecli"), "talk", "--offline", "--persona", "front_desk",
                           "--text", "--mute", "--json", "--speed", "0", "--timeout", "90"],
                          input="I would like some career coaching.\n", cwd=installed.workdir, env=installed.env,
                          capture_output=True, text=True, timeout=120, check=False)
    agent, last = _agent_lines(done)
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["from_agent"], e["to_agent"]) for e in events if e["type"] == "handoff"] == [("Sam", "Laura")]
    assert "Laura" in agent[-1]
    assert last["outcome"] == "completed"


def test_persona_init_then_lint_from_the_install(installed: Installed, tmp_path: Path) -> None:
    assert installed.run("persona", "init", "desk", cwd=tmp_path).returncode == 0
    done = installed.run("lint-persona", "--strict", "desk.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout
