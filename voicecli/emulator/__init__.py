"""A local stand-in for the Gemini Live WebSocket service that the real google-genai SDK talks to.

It imports nothing of voicecli's client, only the shared speech package (``voicecli.speech``:
recognition and text to speech): an independent implementation of the protocol, so it checks our
client honestly. Start it in-process::

    async with Emulator(ca_dir=path, speed=0) as emu:      # the generic brain; recognition if installed
        ...
    async with Emulator(ca_dir=path, scenario=Path("personas/laura.scenario.yaml"), recognition=False) as emu:
        ...                                                # a scripted agent; audio turns not recognised

The modules, one job each: ``server`` (TLS WebSocket, routing, upgrade refusals), ``connection``
(one socket: handshake, read loop, frames out, timers, faults), ``intake`` (each client frame parsed
and validated once), ``handshake`` (credentials, new or resumed session), ``hearing`` (user audio:
16 kHz, activity detection, a listener per turn), ``recognition`` (the per-turn recogniser and
``inputTranscription``), ``engine`` (turn taking, calls, barge-in, usage), ``brains`` (the scenario and
the generic brain behind one interface; ``brain/`` is the generic brain itself), ``speaking`` (speech
out), ``pacing`` (one timer for all speech, lines encoded once), ``protocol`` (the wire format),
``session``, ``scenario``, ``models``, ``faults`` (with ``drift`` and the stall), ``grounding`` (the
Google Search stand-in), ``vad``, ``records`` (``emu.record``; ``emu.client_texts()`` and
``read_records`` / ``client_texts`` for a ``--record`` file). ``Emulator(tls=False)`` serves plain
``ws://`` on loopback, for clients that open the WebSocket themselves (google-genai always uses TLS).

Point the real SDK at it, with TLS verification on (the emulator's CA is trusted, nothing else
is switched off)::

    from google import genai
    from google.genai import types

    # Developer API
    client = genai.Client(api_key="any-key", http_options=types.HttpOptions(
        base_url=emu.base_url, async_client_args={"ssl": emu.client_ssl_context()}))
    # Vertex AI, express key or bearer-token credentials
    client = genai.Client(vertexai=True, api_key="any-key", http_options=...)          # same options
    client = genai.Client(vertexai=True, project="p", location="us-central1",
                          credentials=creds, http_options=...)  # any static bearer token

``async_client_args={"ssl": ctx}`` is what the SDK hands to ``websockets.connect`` for Live. The
alternative is the environment, read when the client is created: ``emu.env()`` gives
``GOOGLE_GEMINI_BASE_URL``, ``GOOGLE_VERTEX_BASE_URL``, ``SSL_CERT_FILE`` (the SDK builds its
WebSocket SSL context from it) and a placeholder ``GEMINI_API_KEY``.
"""

from voicecli.emulator.faults import Faults
from voicecli.emulator.models import KNOWN_MODELS
from voicecli.emulator.options import EmulatorOptions
from voicecli.emulator.records import client_texts, read_records
from voicecli.emulator.scenario import Scenario, ScenarioError, load_scenario
from voicecli.emulator.server import PLACEHOLDER_KEY, Emulator

__all__ = [
    "KNOWN_MODELS",
    "PLACEHOLDER_KEY",
    "Emulator",
    "EmulatorOptions",
    "Faults",
    "Scenario",
    "ScenarioError",
    "client_texts",
    "load_scenario",
    "read_records",
]
