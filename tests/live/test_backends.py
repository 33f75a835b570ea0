"""Backend choice from the environment, as the SDK reads it."""

from __future__ import annotations

import pytest

from voicecli.errors import AuthError
from voicecli.live.backends import credentials_from_env
from voicecli.live.connection import permanent_error


def test_developer_key_from_gemini_or_google_variable() -> None:
    assert credentials_from_env({"GEMINI_API_KEY": "k1"}).backend == "developer"
    assert credentials_from_env({"GOOGLE_API_KEY": "k2"}).api_key == "k2"


def test_vertex_with_project_and_location_uses_default_credentials() -> None:
    creds = credentials_from_env({"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_CLOUD_PROJECT": "p",
                                  "GOOGLE_CLOUD_LOCATION": "us-central1"})
    assert (creds.backend, creds.project, creds.location, creds.api_key) == ("vertex", "p", "us-central1", None)


def test_vertex_express_key() -> None:
    creds = credentials_from_env({"GOOGLE_GENAI_USE_VERTEXAI": "1", "GOOGLE_API_KEY": "express"})
    assert (creds.backend, creds.api_key) == ("vertex", "express")


def test_no_credentials_says_how_to_fix_it() -> None:
    with pytest.raises(AuthError) as caught:
        credentials_from_env({})
    assert caught.value.exit_code == 4
    assert "--offline" in (caught.value.hint or "")


def test_the_key_never_shows_in_repr_or_description() -> None:
    creds = credentials_from_env({"GEMINI_API_KEY": "secret-key-123"})
    assert "secret-key-123" not in repr(creds)
    assert "secret-key-123" not in creds.describe()


@pytest.mark.parametrize(
    ("code", "reason", "kind"),
    [
        (1007, "API key not valid. Please pass a valid API key.", AuthError),
        (1008, "models/nope is not found for API version v1beta, or is not supported", AuthError),
        (403, "HTTP 403", AuthError),
        (1007, "Invalid JSON payload received. Unknown name \"x\"", Exception),
        (1011, "Internal error encountered.", type(None)),
        (1006, "abnormal closure", type(None)),
    ],
)
def test_failure_classification(code: int, reason: str, kind: type) -> None:
    error = permanent_error(code, reason)
    assert isinstance(error, kind)
