"""A loopback fake of the Google endpoints okrmail uses, for the real client libraries.

google-api-python-client and google-auth talk to it over HTTP exactly as they would to
Google: point `google.api_endpoint`, `google.token_uri` and `google.auth_uri` at `url`,
`token_uri` and `auth_uri`. It implements:

- the OAuth token endpoint: the JWT-bearer grant (RS256 signature checked against the
  registered public key; `aud` must be Google's own token URL, which google-auth always
  sends whatever token_uri is configured), the refresh-token grant, and the
  authorization-code grant with PKCE (S256); errors as {"error", "error_description"};
- an authorization endpoint that signs a configured user in and redirects with code+state;
- Calendar v3 (see google_store.py) with bearer-token checks (401 authError) and owner
  checks (404 for a calendar the user does not own);
- the multipart/mixed batch endpoint, as BatchHttpRequest sends and parses it (parts of
  Content-Type application/http, Content-ID `<x + n>` answered as `<response-x + n>`,
  outer headers inherited by parts), at most 50 parts;
- fault injection (`faults`): a rate of 429 / 403 rateLimitExceeded / 403
  userRateLimitExceeded / 500 / 503 per call, "lost replies" (the write happens, then 503),
  failed batch envelopes, one-shot faults, revoked grants;
- counters (`stats`): round trips per endpoint, calls, token requests per user.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import random
import re
import secrets
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesParser, Parser
from email.policy import compat32
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tests.fakes.google_store import ApiError, CalendarStore, error_body

GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
BATCH_LIMIT = 50
FAULTS = {
    "429": (429, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"),
    "403rate": (403, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"),
    "403user": (403, "userRateLimitExceeded", "User Rate Limit Exceeded", "usageLimits"),
    "500": (500, "backendError", "Backend Error", "global"),
    "503": (503, "backendError", "The service is currently unavailable.", "global"),
}
WRITES = {"POST", "PATCH", "PUT", "DELETE"}


@dataclass
class Faults:
    """What goes wrong, and how often (seeded: the same run fails the same way)."""

    rate: float = 0.0  # share of API calls answered with one of `kinds`
    kinds: tuple[str, ...] = tuple(FAULTS)
    lost_reply_rate: float = 0.0  # share of event writes applied, then answered 503
    batch_rate: float = 0.0  # share of batch envelopes answered 503 as a whole
    once: list[tuple[Callable[[str, str], bool], str]] = field(default_factory=list)
    seed: int = 7

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def add_once(self, kind: str, method: str = "", path_contains: str = "") -> None:
        """Answer the next matching call with fault `kind` (a FAULTS key, or "410")."""
        self.once.append((lambda m, p: (not method or m == method) and path_contains in p, kind))

    def pick(self, method: str, path: str) -> tuple[str, bool] | None:
        """(fault kind, applied-first) for this call, or None."""
        for index, (matches, kind) in enumerate(self.once):
            if matches(method, path):
                del self.once[index]
                return kind, False
        if self.rate and self.random.random() < self.rate:
            return self.random.choice(self.kinds), False
        is_event_write = method in WRITES and "/events" in path and not path.endswith("/watch")
        if is_event_write and self.lost_reply_rate and self.random.random() < self.lost_reply_rate:
            return "503", True
        return None


@dataclass
class Stats:
    round_trips: Counter[str] = field(default_factory=Counter)  # "api", "batch", "token"
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (method, target, user)
    token_requests: Counter[str] = field(default_factory=Counter)  # by acting user
    faults: Counter[str] = field(default_factory=Counter)

    @property
    def api_round_trips(self) -> int:
        """HTTP requests to the Calendar API, a batch counting once."""
        return self.round_trips["api"] + self.round_trips["batch"]

    def reset(self) -> None:
        self.round_trips.clear()
        self.calls.clear()
        self.token_requests.clear()
        self.faults.clear()


@dataclass
class Grant:
    kind: str  # service_account | refresh_token
    key: str  # client email, or the refresh token
    user: str
    revoked: bool = False


class FakeGoogle:
    """The fake: start(), point settings at it, stop(). See the module docstring."""

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        domains: tuple[str, ...] = ("example.com",),
        token_lifetime: int = 3600,
        freebusy_max_days: int = 90,
    ) -> None:
        self.store = CalendarStore(now, freebusy_max_days)
        self.domains = {domain.lower() for domain in domains}
        self.token_lifetime = token_lifetime
        self.faults = Faults()
        self.stats = Stats()
        self.service_accounts: dict[str, tuple[rsa.RSAPublicKey, str, bool]] = {}
        self.oauth_clients: dict[str, str] = {}
        self.oauth_user = ""  # who signs in at the authorization endpoint
        self._codes: dict[str, dict[str, str]] = {}
        self._grants: dict[str, Grant] = {}  # refresh token -> grant
        self._tokens: dict[str, tuple[str, float, Grant]] = {}  # access token -> ...
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle and addresses ----------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def token_uri(self) -> str:
        return self.url + "token"

    @property
    def auth_uri(self) -> str:
        return self.url + "o/oauth2/v2/auth"

    def start(self) -> FakeGoogle:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- accounts -----------------------------------------------------------------------

    def register_service_account(self, client_email: str, public_pem: bytes, key_id: str) -> None:
        key = load_pem_public_key(public_pem)
        assert isinstance(key, rsa.RSAPublicKey)
        self.service_accounts[client_email] = (key, key_id, False)

    def add_oauth_client(self, client_id: str, client_secret: str) -> None:
        self.oauth_clients[client_id] = client_secret

    def revoke(self, who: str) -> None:
        """Revoke a service account's key, or every OAuth grant of a user; their access
        tokens stop working at once."""
        with self._lock:
            if who in self.service_accounts:
                key, key_id, _ = self.service_accounts[who]
                self.service_accounts[who] = (key, key_id, True)
            for grant in self._grants.values():
                if grant.user == who:
                    grant.revoked = True
            for token, (_, _, grant) in list(self._tokens.items()):
                if grant.key == who or (grant.user == who and grant.kind == "refresh_token"):
                    del self._tokens[token]

    def expire_access_tokens(self) -> None:
        """Every access token dies early (as after a password change): 401 until refreshed."""
        with self._lock:
            self._tokens.clear()

    # -- the "Google side": a person editing in Google Calendar -----------------------

    def move_occurrence(
        self, calendar_id: str, uid: str, original: datetime, new: datetime
    ) -> None:
        self.store.move_occurrence(calendar_id, uid, original, new)
        self.deliver_notifications()

    def cancel_occurrence(self, calendar_id: str, uid: str, original: datetime) -> None:
        self.store.cancel_occurrence(calendar_id, uid, original)
        self.deliver_notifications()

    def delete_series(self, calendar_id: str, uid: str) -> None:
        self.store.delete_series(calendar_id, uid)
        self.deliver_notifications()

    def move_series(
        self, calendar_id: str, uid: str, first_start: datetime, rrule: str, minutes: int
    ) -> None:
        self.store.move_series(calendar_id, uid, first_start, rrule, minutes)
        self.deliver_notifications()

    def split_series(
        self, calendar_id: str, uid: str, original: datetime, new_start: datetime, rrule: str
    ) -> str:
        split_id = self.store.split_series(calendar_id, uid, original, new_start, rrule)
        self.deliver_notifications()
        return split_id

    def decline(
        self, calendar_id: str, uid: str, attendee: str, original: datetime | None = None
    ) -> None:
        self.store.decline(calendar_id, uid, attendee, original)
        self.deliver_notifications()

    def accept(
        self, calendar_id: str, uid: str, attendee: str, original: datetime | None = None
    ) -> None:
        self.store.respond(calendar_id, uid, attendee, "accepted", original)
        self.deliver_notifications()

    # -- the token endpoint ---------------------------------------------------------------

    def token_endpoint(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant_type = form.get("grant_type", "")
        try:
            if grant_type == JWT_GRANT:
                grant = self._jwt_grant(form.get("assertion", ""))
            elif grant_type == "refresh_token":
                grant = self._refresh_grant(form)
            elif grant_type == "authorization_code":
                return 200, self._code_grant(form)
            else:
                return 400, {"error": "unsupported_grant_type"}
        except _OAuthError as error:
            return error.status, {"error": error.code, "error_description": error.description}
        self.stats.token_requests[grant.user] += 1
        return 200, self._access_token(grant)

    def _access_token(self, grant: Grant) -> dict[str, Any]:
        token = "ya29." + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (grant.user, time.time() + self.token_lifetime, grant)
        return {
            "access_token": token,
            "expires_in": self.token_lifetime,
            "token_type": "Bearer",
            "scope": CALENDAR_SCOPE,
        }

    def _jwt_grant(self, assertion: str) -> Grant:
        try:
            header_b64, payload_b64, signature_b64 = assertion.split(".")
            header, claims = json.loads(_b64(header_b64)), json.loads(_b64(payload_b64))
        except ValueError:
            raise _OAuthError("invalid_grant", "Invalid JWT.") from None
        issuer = claims.get("iss", "")
        if issuer not in self.service_accounts or header.get("alg") != "RS256":
            raise _OAuthError("invalid_client", "The OAuth client was not found.", 401)
        public_key, key_id, revoked = self.service_accounts[issuer]
        try:
            public_key.verify(
                _b64(signature_b64),
                f"{header_b64}.{payload_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise _OAuthError("invalid_grant", "Invalid JWT Signature.") from None
        if revoked or header.get("kid") != key_id:
            raise _OAuthError("invalid_grant", "Invalid JWT Signature.")
        now = time.time()
        if claims.get("aud") != GOOGLE_TOKEN_URL:
            raise _OAuthError(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token "
                "(60 minutes) and in a reasonable timeframe.",
            )
        if (
            not claims.get("iat", 0) - 300 <= now < claims.get("exp", 0)
            or claims["exp"] - claims["iat"] > 3600
        ):
            raise _OAuthError("invalid_grant", "Invalid JWT: Token must be a short-lived token.")
        if CALENDAR_SCOPE not in str(claims.get("scope", "")).split():
            raise _OAuthError(
                "unauthorized_client",
                "Client is unauthorized to retrieve access "
                "tokens using this method, or client not authorized for any of "
                "the scopes requested.",
            )
        subject = str(claims.get("sub") or issuer)
        if subject != issuer and subject.rpartition("@")[2].lower() not in self.domains:
            raise _OAuthError("invalid_grant", "Invalid email or User ID")
        return Grant("service_account", issuer, subject)

    def _refresh_grant(self, form: dict[str, str]) -> Grant:
        self._check_client(form)
        grant = self._grants.get(form.get("refresh_token", ""))
        if grant is None or grant.revoked:
            raise _OAuthError("invalid_grant", "Token has been expired or revoked.")
        return grant

    def _code_grant(self, form: dict[str, str]) -> dict[str, Any]:
        self._check_client(form)
        code = self._codes.pop(form.get("code", ""), None)
        if code is None or code["redirect_uri"] != form.get("redirect_uri"):
            raise _OAuthError("invalid_grant", "Bad Request")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.decode().rstrip("=") != code["code_challenge"]:
            raise _OAuthError("invalid_grant", "Invalid code verifier.")
        refresh_token = "1//" + secrets.token_urlsafe(32)
        grant = Grant("refresh_token", refresh_token, code["user"])
        self._grants[refresh_token] = grant
        self.stats.token_requests[grant.user] += 1
        return {**self._access_token(grant), "refresh_token": refresh_token}

    def _check_client(self, form: dict[str, str]) -> None:
        if self.oauth_clients.get(form.get("client_id", "")) != form.get("client_secret"):
            raise _OAuthError("invalid_client", "Unauthorized", 401)

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """The consent screen, already clicked through by `oauth_user`: 302 with a code."""
        if query.get("client_id") not in self.oauth_clients:
            return 400, {}, "invalid_client"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {}, "PKCE required: code_challenge_method=S256"
        code = secrets.token_urlsafe(16)
        self._codes[code] = {
            "redirect_uri": query.get("redirect_uri", ""),
            "code_challenge": query["code_challenge"],
            "user": query.get("login_hint") or self.oauth_user,
        }
        location = (
            query["redirect_uri"]
            + "?"
            + urlencode({"state": query.get("state", ""), "code": code, "scope": CALENDAR_SCOPE})
        )
        return 302, {"Location": location}, ""

    # -- the Calendar API -----------------------------------------------------------------

    def api(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        """One Calendar API call (plain or inside a batch): (status, JSON reply or None)."""
        path, _, query = target.partition("?")
        user = self._user(headers.get("authorization", ""))
        if user is None:
            return 401, {
                "error": {
                    **error_body(401, "authError", "Invalid Credentials")["error"],
                    "message": "Request had invalid authentication credentials.",
                }
            }
        self.stats.calls.append((method, target, user))
        fault = self.faults.pick(method, path)
        if fault and not fault[1]:
            return self._fault(fault[0])
        try:
            reply = _route(self.store, user, method, path, dict(parse_qsl(query)), body)
        except ApiError as error:
            return error.status, error.body()
        if fault:  # the write happened; the reply is lost
            return self._fault(fault[0])
        return (204, None) if reply is None else (200, reply)

    def _fault(self, kind: str) -> tuple[int, Any]:
        self.stats.faults[kind] += 1
        if kind == "410":
            return 410, error_body(
                410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
            )
        status, reason, message, domain = FAULTS[kind]
        return status, error_body(status, reason, message, domain)

    def _user(self, authorization: str) -> str | None:
        token = authorization.removeprefix("Bearer ").strip()
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None or entry[1] < time.time() or entry[2].revoked:
            return None
        return entry[0]

    def batch(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """The multipart/mixed batch endpoint."""
        if self.faults.batch_rate and self.faults.random.random() < self.faults.batch_rate:
            self.stats.faults["batch"] += 1
            status, reason, message, domain = FAULTS["503"]
            return (
                status,
                _json_headers(),
                json.dumps(error_body(status, reason, message, domain)).encode(),
            )
        content_type = headers.get("content-type", "")
        message = BytesParser(policy=compat32).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        parts = message.get_payload() if message.is_multipart() else []
        if not parts or len(parts) > BATCH_LIMIT:
            return (
                400,
                _json_headers(),
                json.dumps(
                    error_body(400, "badRequest", f"A batch holds 1 to {BATCH_LIMIT} requests.")
                ).encode(),
            )
        inherited = {k: v for k, v in headers.items() if not k.startswith("content-")}
        boundary = "batch_" + secrets.token_hex(12)
        out = []
        for part in parts:
            method, target, inner_headers, inner_body = _inner_request(part.get_payload())
            status, reply = self.api(method, target, {**inherited, **inner_headers}, inner_body)
            content_id = part["Content-ID"].strip()
            out.append(_response_part(boundary, content_id, status, reply))
        payload = "".join(out) + f"--{boundary}--\r\n"
        return 200, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, payload.encode()

    def deliver_notifications(self) -> None:
        """POST pending push notifications to their channels' addresses, as Google does."""
        for channel, state in self.store.take_notifications():
            channel.messages += 1
            resource = f"{self.url}calendar/v3/calendars/{channel.calendar_id}/events"
            request = urllib.request.Request(
                channel.address,
                data=b"",
                method="POST",
                headers={
                    "X-Goog-Channel-ID": channel.id,
                    "X-Goog-Channel-Token": channel.token,
                    "X-Goog-Channel-Expiration": channel.expires_at.strftime(
                        "%a, %d %b %Y %H:%M:%S GMT"
                    ),
                    "X-Goog-Resource-ID": channel.resource_id,
                    "X-Goog-Resource-URI": resource,
                    "X-Goog-Resource-State": state,
                    "X-Goog-Message-Number": str(channel.messages),
                },
            )
            # Google retries a failed delivery with backoff; the fake drops it (polling
            # catches up).
            with contextlib.suppress(OSError):
                urllib.request.urlopen(request, timeout=5).close()


class _OAuthError(Exception):
    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code, self.description, self.status = code, description, status


ROUTES: list[tuple[str, re.Pattern[str]]] = [
    ("freebusy", re.compile(r"^/calendar/v3/freeBusy$")),
    ("calendar_list", re.compile(r"^/calendar/v3/users/me/calendarList$")),
    ("stop", re.compile(r"^/calendar/v3/channels/stop$")),
    ("watch", re.compile(r"^/calendar/v3/calendars/(?P<cal>[^/]+)/events/watch$")),
    (
        "instances",
        re.compile(r"^/calendar/v3/calendars/(?P<cal>[^/]+)/events/(?P<id>[^/]+)/instances$"),
    ),
    ("event", re.compile(r"^/calendar/v3/calendars/(?P<cal>[^/]+)/events/(?P<id>[^/]+)$")),
    ("events", re.compile(r"^/calendar/v3/calendars/(?P<cal>[^/]+)/events$")),
]


def _route(
    store: CalendarStore, user: str, method: str, path: str, query: dict[str, str], body: bytes
) -> Any:
    document = json.loads(body) if body.strip() else {}
    for name, pattern in ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        if name == "freebusy" and method == "POST":
            return store.freebusy(user, document)
        if name == "calendar_list" and method == "GET":
            return {
                "kind": "calendar#calendarList",
                "items": [
                    {
                        "kind": "calendar#calendarListEntry",
                        "id": user,
                        "summary": user,
                        "primary": True,
                        "accessRole": "owner",
                    }
                ],
            }
        if name == "stop" and method == "POST":
            return store.stop(document)
        calendar = unquote(match["cal"])
        calendar = user if calendar == "primary" else calendar
        if calendar.lower() != user.lower():  # only the owner may see events (no sharing)
            raise ApiError(404, "notFound", "Not Found")
        event_id = unquote(match["id"]) if "id" in pattern.groupindex else ""
        return _event_call(store, name, method, calendar, event_id, query, document)
    raise ApiError(404, "notFound", f"fake server: no route for {method} {path}")


def _event_call(
    store: CalendarStore,
    route: str,
    method: str,
    calendar: str,
    event_id: str,
    query: dict[str, str],
    document: dict[str, Any],
) -> Any:
    if (route, method) == ("watch", "POST"):
        return store.watch(calendar, document)
    if (route, method) == ("instances", "GET"):
        return store.instances(calendar, event_id, query)
    if (route, method) == ("event", "GET"):
        return store.get(calendar, event_id)
    if (route, method) == ("event", "PATCH"):
        return store.patch(calendar, event_id, document)
    if (route, method) == ("event", "DELETE"):
        return store.delete(calendar, event_id)
    if (route, method) == ("events", "GET"):
        return store.list(calendar, query)
    if (route, method) == ("events", "POST"):
        return store.insert(calendar, document)
    raise ApiError(405, "methodNotAllowed", f"fake server: {method} not allowed here")


def _inner_request(payload: str) -> tuple[str, str, dict[str, str], bytes]:
    """Method, target, headers and body of one application/http part."""
    request_line, _, rest = payload.lstrip("\r\n").partition("\n")
    method, target, _ = request_line.strip().split(" ", 2)
    inner = Parser(policy=compat32).parsestr(rest)
    headers = {key.lower(): value for key, value in inner.items()}
    body = inner.get_payload()
    return method, target, headers, (body if isinstance(body, str) else "").encode()


def _response_part(boundary: str, content_id: str, status: int, reply: Any) -> str:
    inner_id = content_id[1:-1] if content_id.startswith("<") else content_id
    body = "" if reply is None else json.dumps(reply)
    reason = {200: "OK", 204: "No Content"}.get(status, "Error")
    return (
        f"--{boundary}\r\nContent-Type: application/http\r\n"
        f"Content-ID: <response-{inner_id}>\r\n\r\n"
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=UTF-8\r\n"
        f"Content-Length: {len(body.encode())}\r\n\r\n{body}\r\n"
    )


def _json_headers() -> dict[str, str]:
    return {"Content-Type": "application/json; charset=UTF-8"}


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _handler(fake: FakeGoogle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httplib2 expects

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {key.lower(): value for key, value in self.headers.items()}
            path = urlsplit(self.path).path
            if path == "/token" and self.command == "POST":
                fake.stats.round_trips["token"] += 1
                status, reply = fake.token_endpoint(dict(parse_qsl(body.decode())))
                self._send(status, _json_headers(), json.dumps(reply).encode())
            elif path == "/o/oauth2/v2/auth" and self.command == "GET":
                status, extra, text = fake.authorize(dict(parse_qsl(urlsplit(self.path).query)))
                self._send(status, extra, text.encode())
            elif path.startswith("/batch/"):
                fake.stats.round_trips["batch"] += 1
                self._send(*fake.batch(headers, body))
            elif path.startswith("/calendar/v3/"):
                fake.stats.round_trips["api"] += 1
                status, reply = fake.api(self.command, self.path, headers, body)
                payload = b"" if reply is None else json.dumps(reply).encode()
                self._send(status, _json_headers() if payload else {}, payload)
            else:
                self._send(404, {}, b"not found")
            fake.deliver_notifications()

        def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    return Handler


def new_service_account(client_email: str) -> tuple[dict[str, str], bytes]:
    """A fresh RSA key as a service-account key file (made at test time, never committed),
    and its public half in PEM for the fake."""
    from cryptography.hazmat.primitives import serialization

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_id = secrets.token_hex(20)
    info = {
        "type": "service_account",
        "project_id": "okrmail-test",
        "private_key_id": key_id,
        "private_key": private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "client_email": client_email,
        "client_id": "1234567890",
        "token_uri": GOOGLE_TOKEN_URL,  # as Google writes it; okrmail must override it
    }
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return info, public
