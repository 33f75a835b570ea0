"""One Live handshake, for ``voicecli doctor``: connect, send setup, wait for setupComplete, close.

The SDK's ``connect()`` sends the setup frame and reads the service's first answer before it
yields the session, so the time to the yield is the whole handshake: TCP, TLS, the WebSocket
upgrade and the setup round trip. A failure is sorted into what a user can act on, starting
from the close classification the connection itself uses (``closes.classify_close``).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from google.genai import errors as genai_errors
from google.genai import types

from voicecli.live.backends import make_client
from voicecli.live.closes import Disposition, classify_close
from voicecli.live.connection import describe_failure

if TYPE_CHECKING:
    from google import genai

    from voicecli.live.backends import Credentials

Failure = Literal[
    "network",  # no route, no DNS, connection refused: nothing answered
    "tls",  # something answered but its certificate is not trusted (a proxy, a stale CA file)
    "timeout",  # connected (or trying) but no answer to setup in time
    "credentials",  # application default credentials missing or not refreshable (Vertex AI)
    "key",  # the service refused the key or token
    "model",  # the service does not know the model (on this backend)
    "region",  # the location cannot serve this (Vertex AI location, or the Gemini API's countries)
    "endpoint",  # the address answered but has no Live endpoint there (HTTP 404)
    "setup",  # the service refused the setup itself (a field this model does not accept)
    "service",  # the service failed or is over quota: may work on a later try
]

SetupConfig = types.LiveConnectConfig  # for callers outside voicecli.live, which may not import the SDK
DEFAULT_TIMEOUT_S = 15.0
_GLOBAL_VERTEX_HOST = "aiplatform.googleapis.com"


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    round_trip_ms: float | None = None
    failure: Failure | None = None
    code: int | None = None  # WebSocket close code or HTTP status, when the service gave one
    reason: str = ""  # the service's or the socket's own words (never holds the key: see ``_scrub``)


def minimal_config() -> types.LiveConnectConfig:
    """The smallest setup a Live model accepts, for when no persona's own setup is at hand."""
    return types.LiveConnectConfig(response_modalities=[types.Modality.AUDIO])


async def probe_handshake(
    creds: Credentials,
    model: str,
    config: types.LiveConnectConfig | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    clock: Callable[[], float] = time.perf_counter,
) -> ProbeResult:
    """Open one Live session with ``config`` (default: ``minimal_config()``), then close it."""
    client: genai.Client | None = None
    started = clock()
    scope = asyncio.timeout(timeout_s)
    try:
        client = make_client(creds)  # Vertex AI looks for application default credentials right here
        async with scope, client.aio.live.connect(model=model, config=config or minimal_config()) as session:
            elapsed_ms = (clock() - started) * 1000.0
            if session.setup_complete is None:
                return ProbeResult(False, elapsed_ms, "setup", None,
                                   "the service answered the setup with something other than setupComplete")
            return ProbeResult(True, elapsed_ms)
    except TimeoutError as error:
        if scope.expired():
            return ProbeResult(False, None, "timeout", None, f"no setupComplete within {timeout_s:g} s")
        return _scrub(await _failure(error, creds), creds)
    except Exception as error:  # every way a connect can fail ends up as one classified result
        return _scrub(await _failure(error, creds), creds)
    finally:
        if client is not None:
            await client.aio.aclose()


async def _failure(error: BaseException, creds: Credentials) -> ProbeResult:
    if isinstance(error, ssl.SSLCertVerificationError):
        return ProbeResult(False, None, "tls", None, error.verify_message or str(error))
    if isinstance(error, socket.gaierror) and await _regional_host_only(creds):
        return ProbeResult(False, None, "region", None,
                           f"there is no Vertex AI endpoint for location {creds.location!r}")
    if _is_network_error(error):
        return ProbeResult(False, None, "network", None, _os_reason(error))
    if _is_auth_library_error(error):
        return ProbeResult(False, None, "credentials", None, str(error).splitlines()[0] if str(error) else "")
    code, reason = describe_failure(error)
    if isinstance(error, genai_errors.APIError) and isinstance(error.details, str):
        reason = error.details  # a WebSocket close: its reason alone, without the SDK's "1007 None." prefix
    return ProbeResult(False, None, classify_refusal(code, reason), code, reason)


def classify_refusal(code: int | None, reason: str) -> Failure:
    """What a service answer (a close code or HTTP status, and its reason) means for the user. Pure."""
    lowered = reason.lower()
    if "location" in lowered and ("not supported" in lowered or "unsupported" in lowered) or "region" in lowered:
        return "region"
    disposition = classify_close(code, reason)
    if disposition is not Disposition.PERMANENT:
        return "service"
    if code in (401, 403) or any(word in lowered for word in ("api key", "permission", "unauthenticated",
                                                                "credential")):
        return "key"
    if "not found" in lowered and (code == 1008 or "model" in lowered):
        return "model"
    if code == 404:
        return "endpoint"
    return "setup"


def _is_network_error(error: BaseException) -> bool:
    # ssl.SSLError is an OSError too, but it means something answered: the TLS layer is not "no network".
    return isinstance(error, OSError) and not isinstance(error, ssl.SSLError)


def _is_auth_library_error(error: BaseException) -> bool:
    from google.auth import exceptions as auth_exceptions

    return isinstance(error, auth_exceptions.DefaultCredentialsError | auth_exceptions.RefreshError)


def _os_reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


async def _regional_host_only(creds: Credentials) -> bool:
    """A regional Vertex host that does not resolve while the global one does: a location with no endpoint."""
    if creds.backend != "vertex" or creds.base_url or not creds.location or creds.location == "global":
        return False
    try:
        await asyncio.get_running_loop().getaddrinfo(_GLOBAL_VERTEX_HOST, 443)
    except OSError:
        return False  # nothing resolves: the network, not the location
    return True


def _scrub(result: ProbeResult, creds: Credentials) -> ProbeResult:
    """The key never travels in a result, even if a server or library echoed it back."""
    if creds.api_key and creds.api_key in result.reason:
        return ProbeResult(result.ok, result.round_trip_ms, result.failure, result.code,
                           result.reason.replace(creds.api_key, "[key]"))
    return result
