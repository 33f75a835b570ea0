"""The printed environment alone points an unmodified SDK program at the emulator."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

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
        for line in server.stdout:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                env[name] = shlex.split(value)[0]
            if "GEMINI_API_KEY" in line:
                break
        assert {"GOOGLE_GEMINI_BASE_URL", "SSL_CERT_FILE", "GEMINI_API_KEY"} <= set(env)
        done = subprocess.run([sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert "AGENT: Hello! I'm a local stand-in" in done.stdout
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
