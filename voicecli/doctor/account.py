"""Credentials and endpoints: which backend talk would use, with what, and where it would connect.

Only variable names are ever shown: the runner also scrubs key values from every line, in case a
service or library echoes one back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from voicecli.doctor.check import Check, failed, passed, warned
from voicecli.errors import AuthError
from voicecli.live.backends import Backend, Credentials, credentials_from_env

KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_BASE_URL_VARIABLES: dict[Backend, str] = {"developer": "GOOGLE_GEMINI_BASE_URL", "vertex": "GOOGLE_VERTEX_BASE_URL"}
BACKEND_LABELS: dict[Backend, str] = {"developer": "Gemini API", "vertex": "Vertex AI"}


@dataclass(frozen=True)
class Found:
    """What the credentials check learnt, for the handshake: the credentials and where the key came from."""

    creds: Credentials | None
    key_variable: str | None = None


def wants_vertex(env: Mapping[str, str], backend_flag: Backend | None) -> bool:
    if backend_flag is not None:
        return backend_flag == "vertex"
    return env.get("GOOGLE_GENAI_USE_VERTEXAI", "").strip().lower() in {"1", "true", "yes", "on"}


def key_variable(env: Mapping[str, str], backend: Backend) -> str | None:
    """The variable ``credentials_from_env`` takes the key from (its order differs per backend)."""
    order = ("GOOGLE_API_KEY", "GEMINI_API_KEY") if backend == "vertex" else KEY_VARIABLES
    return next((name for name in order if env.get(name)), None)


def credentials_check(env: Mapping[str, str], backend_flag: Backend | None, *, offline: bool) -> tuple[Check, Found]:
    backend: Backend = "vertex" if wants_vertex(env, backend_flag) else "developer"
    try:
        creds = credentials_from_env(env, backend_flag)
    except AuthError as error:
        if offline:
            return passed("credentials", "none set; not needed with --offline (the built-in emulator)",
                          backend=backend), Found(None)
        return failed("credentials", error.message, error.hint or "", backend=backend), Found(None)
    label = BACKEND_LABELS[creds.backend]
    variable = key_variable(env, creds.backend) if creds.api_key else None
    if variable is not None:
        others = [name for name in KEY_VARIABLES if name != variable and env.get(name)]
        also = f"; {others[0]} is also set and ignored" if others else ""
        detail = f"{label} key from {variable}{also}"
    else:
        detail = (f"{label}, project {creds.project} (GOOGLE_CLOUD_PROJECT), location {creds.location} "
                  "(GOOGLE_CLOUD_LOCATION), application default credentials")
    if offline:
        detail += "; not used with --offline"
    return passed("credentials", detail, backend=creds.backend, variable=variable, project=creds.project,
                  location=creds.location), Found(None if offline else creds, variable)


def adc_check(env: Mapping[str, str], home: Path | None = None) -> Check:
    """Vertex AI without a key signs in with application default credentials: is there a file for them?"""
    explicit = env.get("GOOGLE_APPLICATION_CREDENTIALS")
    if explicit:
        if Path(explicit).expanduser().is_file():
            return passed("google sign-in", f"GOOGLE_APPLICATION_CREDENTIALS names {explicit}", path=explicit)
        return failed("google sign-in", f"GOOGLE_APPLICATION_CREDENTIALS names {explicit}, which does not exist",
                      "point it at a service-account key file, or unset it and run "
                      "`gcloud auth application-default login`")
    # Where gcloud keeps it: $CLOUDSDK_CONFIG, else %APPDATA%\gcloud on Windows, else ~/.config/gcloud.
    if env.get("CLOUDSDK_CONFIG"):
        config = Path(env["CLOUDSDK_CONFIG"])
    elif os.name == "nt" and env.get("APPDATA"):
        config = Path(env["APPDATA"]) / "gcloud"
    else:
        config = (home or Path.home()) / ".config" / "gcloud"
    well_known = config / "application_default_credentials.json"
    if well_known.is_file():
        return passed("google sign-in", f"application default credentials in {well_known}", path=str(well_known))
    return warned("google sign-in", "no application default credentials file (fine on Google Cloud, where the "
                  "metadata server provides them)", "run `gcloud auth application-default login`")


def endpoint_check(env: Mapping[str, str], backend: Backend) -> Check | None:
    """A warning when the SDK would be sent somewhere other than Google (a leftover emulator line)."""
    variable = _BASE_URL_VARIABLES[backend]
    url = env.get(variable)
    if not url:
        return None
    shown = url.split("?", 1)[0]  # the Vertex URL may carry a key in its query
    return warned("endpoint", f"{variable} sends the SDK to {shown}, not to Google",
                  f"unset {variable} unless you mean to use that endpoint (`voicecli emulator` prints it)",
                  variable=variable)
