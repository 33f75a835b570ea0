"""The printed environment alone points an unmodified SDK program at the emulator."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

VOICECLI = Path(sys.executable).parent / "voicecli"

PROGRAM = """
import asyncio
from google import genai
from google.genai import types

async def main():
    client = genai.Client()  # everything comes from the environment
    config = types.LiveConnectConfig(output_audio_transcription=types.AudioTranscriptionConfig())
    async with client.aio.live.connect(model="gemini-3.8-live", config=config) as session:
        await session.send_client_content(turns=types.Content(role="user", parts=[types.Part(text="hi")]))
        text = ""
        async for message in session.receive():
            if message.server_content and message.server_content.output_transcription:
                text += message.server_content.output_transcription.text
        print("AGENT:", text)

asyncio.run(main())
"""


def test_sdk_program_completes_a_turn_from_printed_env(tmp_path: Path) -> None:
    server = subprocess.Popen([str(VOICECLI), "emulator", "--port", "0", "--speed", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
        assert server.stdout is not None
        said: list[str] = []
        for line in server.stdout:
            said.append(line)
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                env[name] = shlex.split(value)[0]
            if "GEMINI_API_KEY" in line:
                break
        assert {"GOOGLE_GEMINI_BASE_URL", "SSL_CERT_FILE", "GEMINI_API_KEY"} <= set(env)
        done = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        # No scenario: the generic brain answers (here with no instruction, so no name to give).
        assert "AGENT: Hi! How can I help you today?" in done.stdout
        assert any(line.startswith("# brain: generic") for line in said)
        assert any(line.startswith("# speech recognition") for line in said)  # on, or why not
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_bad_scenario_is_one_clear_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [{sya: hello}]\n")
    done = subprocess.run([str(VOICECLI), "emulator", "--scenario", str(bad)], capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert "unknown keys sya" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


# An unmodified app: it builds its client one of the ways google-genai documents, and takes everything
# else from the environment. argv[1] picks the way.
APP = """
import asyncio, sys
from google import genai
from google.genai import types

async def main():
    style = sys.argv[1]
    if style == "client()":
        client = genai.Client()
    elif style == "vertexai=True":
        client = genai.Client(vertexai=True)
    else:
        client = genai.Client(vertexai=True, project="demo-project", location="us-central1")
    config = types.LiveConnectConfig(output_audio_transcription=types.AudioTranscriptionConfig())
    async with client.aio.live.connect(model="gemini-3.8-live", config=config) as session:
        await session.send_client_content(turns=types.Content(role="user", parts=[types.Part(text="hi")]))
        text = ""
        async for message in session.receive():
            if message.server_content and message.server_content.output_transcription:
                text += message.server_content.output_transcription.text
        print("AGENT:", text)

asyncio.run(main())
"""
LAST_PRINTED = '#   export GOOGLE_GEMINI_BASE_URL="$GOOGLE_VERTEX_BASE_URL"'
VERTEX_PROJECT = {"GOOGLE_CLOUD_PROJECT": "demo-project", "GOOGLE_CLOUD_LOCATION": "us-central1"}


@dataclass
class Served:
    args: tuple[str, ...]
    printed: list[str]
    home: Path


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    env.pop("SSL_CERT_FILE", None)
    env["VOICECLI_HOME"] = str(home)
    return env


@pytest.fixture(scope="module", params=[(), ("--host", "0.0.0.0", "--api-key", "s3cret", "--api-key", "other")],
                ids=["defaults", "host-and-keys"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("emulator-home")
    server = subprocess.Popen([str(VOICECLI), "emulator", "--speed", "0", "--no-recognition", *request.param],
                              env=_clean_env(home),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        printed: list[str] = []
        for line in server.stdout:
            printed.append(line.rstrip("\n"))
            if line.rstrip("\n") == LAST_PRINTED:
                break
        assert printed and printed[-1] == LAST_PRINTED, printed
        yield Served(request.param, printed, home)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _adc_service_account(folder: Path) -> Path:
    """Application default credentials that sign their own token, so no token server is needed.

    A non-default universe domain makes google-auth use a self-signed JWT instead of an exchange.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path = folder / "adc.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "demo-project", "private_key_id": "1", "private_key": pem,
        "client_email": "app@demo-project.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": "https://127.0.0.1:9/token", "universe_domain": "emulator.invalid",
    }))
    return path


# (how the app builds its client, environment the app's own setup adds, extra printed line to apply)
STYLES = {
    "developer": ("client()", {}, False),
    "vertex-express-by-env-flag": ("client()", {"GOOGLE_GENAI_USE_VERTEXAI": "true"}, False),
    "vertex-express": ("vertexai=True", {}, False),
    "vertex-project-from-env": ("vertexai=True", VERTEX_PROJECT, False),
    "vertex-project-from-env-by-env-flag": ("client()", {"GOOGLE_GENAI_USE_VERTEXAI": "true", **VERTEX_PROJECT}, True),
    "vertex-adc-bearer": ("project-args", {"GOOGLE_APPLICATION_CREDENTIALS": "ADC"}, False),
}


@pytest.mark.parametrize("style", list(STYLES))
def test_printed_lines_pasted_in_a_shell_serve_every_sdk_setup(served: Served, style: str, tmp_path: Path) -> None:
    how, app_env, apply_comment = STYLES[style]
    env = _clean_env(served.home)
    env["GOOGLE_API_KEY"] = "a-real-key-left-in-the-shell"  # the printed lines must not let it through
    for name, value in app_env.items():
        env[name] = str(_adc_service_account(tmp_path)) if value == "ADC" else value
    script = list(served.printed)
    if apply_comment:
        script.append(LAST_PRINTED.removeprefix("#").strip())
    script.append(f"exec {shlex.quote(sys.executable)} -c {shlex.quote(APP)} {shlex.quote(how)}")
    done = subprocess.run(["bash", "-c", "\n".join(script)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "AGENT: Hi! How can I help you today?" in done.stdout


def test_printed_lines_name_the_first_key_given_and_a_host_the_certificate_names(served: Served) -> None:
    exports = dict(line.removeprefix("export ").split("=", 1) for line in served.printed if line.startswith("export"))
    assert exports["GEMINI_API_KEY"] == ("s3cret" if "--api-key" in served.args else "emulator-key")
    assert exports["GOOGLE_GEMINI_BASE_URL"].startswith("https://127.0.0.1:")


def test_host_outside_the_certificate_is_one_clear_message() -> None:
    done = subprocess.run([str(VOICECLI), "emulator", "--host", "10.1.2.3"], capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 2
    assert "certificate names only 127.0.0.1 and localhost" in done.stderr
    assert "Traceback" not in done.stderr
