"""Which Live backend to talk to, read from the same environment variables the SDK reads.

The key itself never leaves this module's ``Credentials`` object except into the SDK client;
``describe()`` is what gets shown or logged.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from voicecli.errors import AuthError

if TYPE_CHECKING:
    from google import genai
    from google.auth.credentials import Credentials as AuthCredentials

Backend = Literal["developer", "vertex"]

NO_CREDENTIALS_HINT = (
    "set GEMINI_API_KEY (Gemini Developer API), or GOOGLE_GENAI_USE_VERTEXAI=true with "
    "GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION (Vertex AI, application default credentials) "
    "or GOOGLE_API_KEY (Vertex AI express); or run offline against the built-in emulator with --offline"
)

# The real service has been seen answering pings only after 8-30 s; websockets' default 20 s
# ping timeout would close healthy connections with "1011 keepalive ping timeout".
WEBSOCKET_KEEPALIVE = {"ping_interval": 20.0, "ping_timeout": 60.0}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Credentials:
    backend: Backend
    api_key: str | None = field(default=None, repr=False)
    project: str | None = None
    location: str | None = None
    base_url: str | None = None
    ca_file: Path | None = None  # trust anchor for a local emulator; never set for the real service
    offline: bool = False

    def describe(self) -> str:
        where = "emulator" if self.offline else ("Vertex AI" if self.backend == "vertex" else "Gemini API")
        how = "api key" if self.api_key else "application default credentials"
        return f"{where} ({how})"


def credentials_from_env(env: Mapping[str, str], backend_flag: Backend | None = None) -> Credentials:
    """Pick the backend and credentials the way the SDK would, or explain what is missing (exit 4)."""
    use_vertex = _truthy(env.get("GOOGLE_GENAI_USE_VERTEXAI"))
    if backend_flag is not None:
        use_vertex = backend_flag == "vertex"
    if use_vertex:
        project = env.get("GOOGLE_CLOUD_PROJECT")
        location = env.get("GOOGLE_CLOUD_LOCATION")
        key = env.get("GOOGLE_API_KEY") or env.get("GEMINI_API_KEY")
        if project and location:
            return Credentials("vertex", project=project, location=location)
        if key:
            return Credentials("vertex", api_key=key)
        raise AuthError("Vertex AI needs GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION, or an express "
                        "API key in GOOGLE_API_KEY.", hint=NO_CREDENTIALS_HINT)
    key = env.get("GEMINI_API_KEY") or env.get("GOOGLE_API_KEY")
    if key:
        return Credentials("developer", api_key=key)
    raise AuthError("No credentials for the Gemini Live API.", hint=NO_CREDENTIALS_HINT)


def make_client(creds: Credentials) -> genai.Client:
    """An SDK client for these credentials, with keepalive settings fit for the Live service."""
    from google import genai
    from google.genai import types

    socket_args: dict[str, object] = dict(WEBSOCKET_KEEPALIVE)
    if creds.ca_file is not None:
        # Verification stays on: the emulator's own CA is the only trust anchor for it.
        socket_args["ssl"] = ssl.create_default_context(cafile=str(creds.ca_file))
    options = types.HttpOptions(base_url=creds.base_url, async_client_args=socket_args)
    if creds.backend == "vertex":
        if creds.api_key:
            return genai.Client(vertexai=True, api_key=creds.api_key, http_options=options)
        if creds.offline:
            return genai.Client(vertexai=True, project=creds.project, location=creds.location,
                                credentials=static_token("emulator-token"), http_options=options)
        return genai.Client(vertexai=True, project=creds.project, location=creds.location,
                            http_options=options)
    return genai.Client(api_key=creds.api_key, http_options=options)


def static_token(token: str) -> AuthCredentials:
    """Bearer-token credentials that never expire: only for the local emulator's Vertex path."""
    from google.auth.credentials import Credentials as Base

    class StaticToken(Base):
        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self.token = token

        def refresh(self, request: object) -> None:
            return None

        @property
        def expired(self) -> bool:
            return False

        @property
        def valid(self) -> bool:
            return True

    return StaticToken()
