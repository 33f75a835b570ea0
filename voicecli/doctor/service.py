"""A real connect + setup handshake, against the service or (``--offline``) an in-process emulator."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from voicecli.doctor.account import BACKEND_LABELS
from voicecli.doctor.check import Check, failed, passed
from voicecli.live.backends import Backend, Credentials
from voicecli.live.config import DEFAULT_MODELS

if TYPE_CHECKING:
    from voicecli.live.probe import Failure, ProbeResult, SetupConfig

NAME = "handshake"
_LABELS: dict[str, str] = {
    "network": "no network",
    "tls": "untrusted certificate",
    "timeout": "no answer",
    "credentials": "no Google sign-in",
    "key": "key refused",
    "model": "model not found",
    "region": "region",
    "endpoint": "no Live endpoint",
    "setup": "setup refused",
    "service": "service trouble",
}


@contextlib.asynccontextmanager
async def emulator_credentials(data_dir: Path, backend: Backend) -> AsyncIterator[Credentials]:
    """Credentials for an in-process emulator, built as ``talk --offline`` builds them."""
    from voicecli.emulator import Emulator

    async with Emulator(ca_dir=data_dir / "emulator-ca", speed=0) as emulator:
        yield Credentials(backend, api_key="emulator-key", base_url=emulator.base_url, ca_file=emulator.ca_file,
                          offline=True)


async def handshake_check(creds: Credentials, model: str, config: SetupConfig | None, *,
                          key_variable: str | None, timeout_s: float) -> Check:
    from voicecli.live.probe import probe_handshake

    result = await probe_handshake(creds, model, config, timeout_s=timeout_s)
    where = "the emulator" if creds.offline else BACKEND_LABELS[creds.backend]
    if result.ok:
        rtt = round(result.round_trip_ms or 0.0)
        return passed(NAME, f"{where} set up a {model} session in {rtt} ms (connect + setup round trip)",
                      round_trip_ms=rtt, model=model)
    return handshake_failure(result, creds, model, key_variable)


def handshake_failure(result: ProbeResult, creds: Credentials, model: str, key_variable: str | None) -> Check:
    failure: Failure = result.failure or "service"
    code = f" ({'HTTP' if result.code and result.code < 1000 else 'close'} {result.code})" if result.code else ""
    detail = f"{_LABELS[failure]}: {result.reason or 'no reason given'}{code}"
    return failed(NAME, detail, fix_for(failure, creds, model, key_variable), failure=failure, code=result.code,
                  model=model)


def fix_for(failure: Failure, creds: Credentials, model: str, key_variable: str | None) -> str:
    """What to do about each kind of handshake failure."""
    host = creds.base_url or ("generativelanguage.googleapis.com" if creds.backend == "developer"
                              else f"{creds.location or 'LOCATION'}-aiplatform.googleapis.com")
    key = key_variable or "the key variable"
    fixes: dict[Failure, str] = {
        "network": f"check the internet connection, proxy and firewall: talk needs wss:// to {host} (port 443)",
        "tls": "something between here and Google presents an untrusted certificate: behind a TLS-inspecting "
               "proxy set SSL_CERT_FILE to its CA bundle; unset an SSL_CERT_FILE left by `voicecli emulator`",
        "timeout": "the service did not answer in time: check the network, or allow longer with --timeout",
        "credentials": "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS "
                       "to a service-account key file",
        "key": f"the service refused the key in {key}: copy it again (new keys: https://aistudio.google.com/apikey)"
               " and check that its project has the API enabled",
        "model": f"{model} is not served here: pick a Live model with --model (for example "
                 f"{DEFAULT_MODELS[creds.backend]})",
        "region": "set GOOGLE_CLOUD_LOCATION to a region that serves Live models (for example us-central1)"
                  if creds.backend == "vertex" else
                  "the Gemini API is not offered where this request comes from: use Vertex AI in a supported region",
        "endpoint": "the address answers but has no Live endpoint: unset GOOGLE_GEMINI_BASE_URL / "
                    "GOOGLE_VERTEX_BASE_URL, and check GOOGLE_CLOUD_PROJECT",
        "setup": f"the service refused talk's setup for {model}: `voicecli talk --dry-run` shows it; "
                 "try another --model",
        "service": "the service failed or is over quota: try again in a minute (talk retries these itself)",
    }
    return fixes[failure]
