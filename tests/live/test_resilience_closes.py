from __future__ import annotations

import pytest

from voicecli.live.closes import Disposition, classify_close, classify_http_status, should_reconnect


@pytest.mark.parametrize("code", [1000, 1001, 1006, 1011, 1012, 1013, 1014])
def test_drops_and_server_errors_are_transient(code: int) -> None:
    assert classify_close(code, "Internal error encountered.") is Disposition.TRANSIENT


def test_raw_connection_loss_is_transient() -> None:
    assert classify_close(None, "abnormal closure [internal]") is Disposition.TRANSIENT


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (1007, "Request contains an invalid argument."),
        (1008, "models/x is not found for API version v1beta, or is not supported for bidiGenerateContent."),
        (1008, "Operation is not implemented, or supported, or enabled."),
        (1008, "API key not valid. Please pass a valid API key."),
        (1009, "message too big"),
    ],
)
def test_invalid_setup_and_refusals_are_permanent(code: int, reason: str) -> None:
    assert classify_close(code, reason) is Disposition.PERMANENT
    assert not should_reconnect(classify_close(code, reason))


def test_unknown_session_is_a_stale_handle() -> None:
    assert classify_close(1008, "BidiGenerateContent session not found") is Disposition.STALE_HANDLE
    assert should_reconnect(Disposition.STALE_HANDLE)


def test_deadline_expired_is_expected_only_after_goaway() -> None:
    reason = "Deadline expired before operation could complete."
    assert classify_close(1011, reason, after_goaway=True) is Disposition.EXPECTED_AFTER_GOAWAY
    assert classify_close(1011, reason) is Disposition.TRANSIENT
    assert classify_close(1011, "Internal error encountered.", after_goaway=True) is Disposition.TRANSIENT


@pytest.mark.parametrize(("status", "expected"), [
    (401, Disposition.PERMANENT),
    (403, Disposition.PERMANENT),
    (404, Disposition.PERMANENT),
    (400, Disposition.PERMANENT),
    (408, Disposition.TRANSIENT),
    (429, Disposition.TRANSIENT),
    (500, Disposition.TRANSIENT),
    (503, Disposition.TRANSIENT),
])
def test_http_refusals(status: int, expected: Disposition) -> None:
    assert classify_http_status(status) is expected
    assert classify_close(status, f"HTTP {status}") is expected


def test_unknown_application_code_is_retried() -> None:
    assert classify_close(4321, "custom") is Disposition.TRANSIENT
