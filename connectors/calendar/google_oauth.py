"""The OAuth 2.0 web flow for per-user Google accounts: state + PKCE (S256).

`start()` makes the authorization URL and the secrets to keep until the user comes back
(the state, to match the redirect to the sign-in, and the PKCE verifier, which proves the
code is redeemed by whoever asked for it); `exchange_code()` trades the returned code for
tokens at the configured token endpoint. Access is offline with a forced consent screen,
so Google returns a refresh token every time.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httplib2

from connectors.calendar.google_accounts import SCOPES
from connectors.calendar.google_errors import TRANSPORT_ERRORS, GoogleApiError


class OAuthConfig(Protocol):
    auth_uri: str
    token_uri: str
    client_id: str
    client_secret: str
    timeout_seconds: float


@dataclass(frozen=True)
class SignIn:
    """A started sign-in: send the user to `url`; keep `state` and `verifier` secret."""

    url: str
    state: str
    verifier: str


def start(config: OAuthConfig, redirect_uri: str, login_hint: str | None = None) -> SignIn:
    """The authorization URL for one sign-in, with a fresh state and PKCE verifier."""
    if not config.client_id:
        raise GoogleApiError("google.client_id is not set (an OAuth web client)", permanent=True)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: inside RFC 7636's 43-128
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(SCOPES),
        "state": state,
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
    }
    if login_hint:
        params["login_hint"] = login_hint
    return SignIn(f"{config.auth_uri}?{urlencode(params)}", state, verifier)


def exchange_code(
    config: OAuthConfig, *, code: str, verifier: str, redirect_uri: str
) -> dict[str, Any]:
    """The token reply ({"access_token", "refresh_token", ...}) for an authorization code.

    Raises a permanent GoogleApiError when Google refuses (bad or reused code, wrong
    verifier), a transient one when it cannot be reached.
    """
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
            "client_id": config.client_id,
            "client_secret": config.client_secret,
        }
    )
    http = httplib2.Http(timeout=config.timeout_seconds)
    try:
        response, content = http.request(
            config.token_uri,
            "POST",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    except TRANSPORT_ERRORS as error:
        raise GoogleApiError(f"token endpoint unreachable: {error}", permanent=False) from None
    try:
        reply = json.loads(content)
    except ValueError:
        reply = {}
    if response.status != 200 or "refresh_token" not in reply:
        reason = reply.get("error", f"HTTP {response.status}")
        raise GoogleApiError(
            f"Google refused the sign-in: {reason} {reply.get('error_description', '')}".strip(),
            status=response.status,
            reason=str(reason),
            permanent=response.status < 500,
        )
    return reply
