"""Google's error replies: the typed error, and which of them a retry can fix.

Retryable, per Google's documentation: 429, 500, 502, 503, 504, 403 with reason
rateLimitExceeded or userRateLimitExceeded, and transport failures (timeouts, resets).
Everything else is permanent for the call at hand; callers give some statuses a meaning
(409 duplicate = already created, 410 = sync token expired or already deleted).
"""

from __future__ import annotations

import json
import socket

import httplib2
from google.auth.exceptions import TransportError

from connectors.errors import ConnectorError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
TRANSPORT_ERRORS = (httplib2.HttpLib2Error, TransportError, OSError, socket.timeout)


class GoogleApiError(ConnectorError):
    """A Calendar API call failed; `status` and `reason` are Google's (None/"" if no reply)."""

    def __init__(
        self, message: str, *, status: int | None = None, reason: str = "", permanent: bool
    ) -> None:
        super().__init__(message, permanent=permanent)
        self.status = status
        self.reason = reason


def error_reason(content: bytes | str) -> tuple[str, str]:
    """(reason, message) from Google's JSON error body; ("", text) when it is not JSON."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    try:
        error = json.loads(text)["error"]
    except (ValueError, KeyError, TypeError):
        return "", text[:200]
    if not isinstance(error, dict):  # the OAuth shape: {"error": "invalid_grant", ...}
        return str(error), ""
    reasons = [item.get("reason", "") for item in error.get("errors") or []]
    return (reasons[0] if reasons else error.get("status", "")), error.get("message", "")


def is_retryable(status: int, reason: str) -> bool:
    return status in RETRY_STATUSES or (status == 403 and reason in RATE_LIMIT_REASONS)
