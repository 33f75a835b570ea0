"""The handshake against the real SDK and the emulator, with each kind of failure provoked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.doctor.conftest import MODEL, closed_port
from voicecli.emulator import Emulator, Faults
from voicecli.live.backends import Credentials
from voicecli.live.probe import classify_refusal, probe_handshake


def creds_for(emulator: Emulator, key: str = "right-key", backend: str = "developer") -> Credentials:
    return Credentials("vertex" if backend == "vertex" else "developer", api_key=key, base_url=emulator.base_url,
                       ca_file=emulator.ca_file, offline=True)


@pytest.mark.parametrize("backend", ["developer", "vertex"])
async def test_a_handshake_reports_its_round_trip(make_emulator: Callable[..., Any], backend: str) -> None:
    async with make_emulator() as emulator:
        result = await probe_handshake(creds_for(emulator, backend=backend), MODEL)
    assert result.ok, result
    assert result.round_trip_ms is not None and result.round_trip_ms > 0
    assert result.failure is None


async def test_a_refused_key_is_classified_as_such(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator(valid_keys=frozenset({"right-key"})) as emulator:
        result = await probe_handshake(creds_for(emulator, key="wrong-key"), MODEL)
    assert (result.ok, result.failure, result.code) == (False, "key", 1007)
    assert "wrong-key" not in result.reason


async def test_an_unknown_model_is_classified_as_such(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator() as emulator:
        result = await probe_handshake(creds_for(emulator), "gemini-no-such-live")
    assert (result.failure, result.code) == ("model", 1008)
    assert "not found" in result.reason


async def test_nothing_listening_is_no_network() -> None:
    creds = Credentials("developer", api_key="k", base_url=f"https://127.0.0.1:{closed_port()}", offline=True)
    result = await probe_handshake(creds, MODEL)
    assert (result.ok, result.failure) == (False, "network")


async def test_a_certificate_nobody_trusts_is_tls(make_emulator: Callable[..., Any]) -> None:
    async with make_emulator() as emulator:
        creds = Credentials("developer", api_key="k", base_url=emulator.base_url)  # the system CAs only
        result = await probe_handshake(creds, MODEL)
    assert result.failure == "tls"


async def test_a_server_that_never_answers_is_a_timeout() -> None:
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accepts the connection, then says nothing until the client leaves
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        creds = Credentials("developer", api_key="k", base_url=f"https://127.0.0.1:{port}", offline=True)
        result = await probe_handshake(creds, MODEL, timeout_s=0.3)
    assert result.failure == "timeout"


@pytest.mark.parametrize(("status", "failure"), [(401, "key"), (403, "key"), (404, "endpoint"), (503, "service")])
async def test_a_refused_upgrade_is_classified_by_status(make_emulator: Callable[..., Any], status: int,
                                                         failure: str) -> None:
    faults = Faults()
    faults.refuse(status, times=-1)
    async with make_emulator(faults=faults) as emulator:
        result = await probe_handshake(creds_for(emulator), MODEL)
    assert (result.failure, result.code) == (failure, status)


@pytest.mark.parametrize(
    ("code", "reason", "failure"),
    [
        (1007, "User location is not supported for the API use.", "region"),
        (1008, "Publisher model is not available in region europe-west9", "region"),
        (1007, "API key not valid. Please pass a valid API key.", "key"),
        (1008, "Permission denied on resource project p", "key"),
        (1008, "models/x is not found for API version v1beta, or is not supported", "model"),
        (1007, "Invalid JSON payload received. Unknown name \"foo\" at 'setup'", "setup"),
        (1011, "Internal error encountered.", "service"),
        (429, "HTTP 429", "service"),
        (None, "connection lost", "service"),
    ],
)
def test_service_answers_are_classified(code: int | None, reason: str, failure: str) -> None:
    assert classify_refusal(code, reason) == failure


async def test_vertex_without_usable_sign_in_is_a_credentials_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "service-account.json"
    broken.write_text("{}")  # a key file with nothing in it: the auth library refuses it before any network
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(broken))
    creds = Credentials("vertex", project="demo", location="us-central1")
    result = await probe_handshake(creds, MODEL)
    assert (result.ok, result.failure) == (False, "credentials")
