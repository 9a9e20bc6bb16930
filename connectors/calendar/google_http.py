"""The one HTTP choke point of the Google Calendar connector.

Every Calendar API call goes through `GoogleTransport.run`: it authorizes each call as its
acting user (tokens cached per user, so one token request per user per token lifetime),
sends the calls one at a time or as multipart/mixed batches of at most 50, retries what a
retry can fix (429, 5xx, 403 rate limits, transport errors) with bounded exponential backoff
and full jitter, refreshes a token once on 401, and maps everything else to a
`GoogleApiError` that says whether retrying can help. A revoked grant (`invalid_grant`)
marks the account broken through the account store and is never retried.

The service object is built offline from the discovery document bundled with
google-api-python-client, with `rootUrl` pointed at the configured endpoint; the batch
URI is built by us, because `new_batch_http_request()` ignores a client-side api_endpoint.

Not thread-safe: one transport per process (httplib2 connections are not shareable).
"""

from __future__ import annotations

import json
import logging
import random
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urljoin

import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from googleapiclient.discovery import Resource, build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from connectors.errors import ConnectorError

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/calendar",)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
TRANSPORT_ERRORS = (httplib2.HttpLib2Error, TransportError, OSError, socket.timeout)


class GoogleConfig(Protocol):
    """What the connector reads from its settings section (okrmail's GoogleSettings)."""

    api_endpoint: str
    token_uri: str
    batch_url: str
    client_id: str
    client_secret: str
    send_updates: str
    timeout_seconds: float
    max_retries: int
    backoff_base_seconds: float
    backoff_max_seconds: float
    batch_size: int
    freebusy_max_days: int


@dataclass(frozen=True)
class GoogleAccount:
    """A way in: a service account (acts as users of `domains`; none: any) or one user's
    OAuth grant (acts as `email` only). `secret` is the key file or {"refresh_token": ...}."""

    name: str
    kind: Literal["service_account", "oauth"]
    email: str
    revision: int = 1
    domains: tuple[str, ...] = ()
    secret: Mapping[str, Any] = field(default_factory=dict, repr=False)
    broken_reason: str | None = None

    def can_act_as(self, calendar_id: str) -> bool:
        if self.kind == "oauth":
            return calendar_id.lower() == self.email.lower()
        domain = calendar_id.rpartition("@")[2].lower()
        return not self.domains or domain in {item.lower() for item in self.domains}


class GoogleAccountStore(Protocol):
    """Where accounts come from (okrmail keeps them encrypted in the database)."""

    def accounts(self) -> Sequence[GoogleAccount]:
        """Every Google account, broken ones included (with broken_reason set)."""
        ...

    def mark_broken(self, account: GoogleAccount, reason: str) -> None:
        """Record that the grant was revoked; tell an admin once."""
        ...


@dataclass(frozen=True)
class Acting:
    """Who a call is made as: an account, acting as `subject` (a user's email)."""

    account: GoogleAccount
    subject: str


class GoogleApiError(ConnectorError):
    """A Calendar API call failed; `status` and `reason` are Google's (None/"" if no reply)."""

    def __init__(
        self, message: str, *, status: int | None = None, reason: str = "", permanent: bool
    ) -> None:
        super().__init__(message, permanent=permanent)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Call:
    """One API call: who makes it, how to build it from the service, and what it is for."""

    acting: Acting
    build: Callable[[Resource], HttpRequest]
    what: str


@dataclass
class _Outcome:
    value: Any = None
    error: GoogleApiError | None = None
    retry: bool = False
    retry_after: float = 0.0


def acting_for(accounts: Sequence[GoogleAccount], calendar_id: str) -> Acting:
    """The account that may act as the owner of `calendar_id` (its own OAuth grant first).

    Raises a permanent GoogleApiError when none can, or when the one that can is broken.
    """
    candidates = [account for account in accounts if account.can_act_as(calendar_id)]
    candidates.sort(key=lambda account: (account.kind != "oauth", account.broken_reason is not None))
    if not candidates:
        raise GoogleApiError(
            f"no Google account can act as {calendar_id}; connect one with "
            "`okrmail accounts add google`",
            reason="noAccount",
            permanent=True,
        )
    account = candidates[0]
    if account.broken_reason:
        raise GoogleApiError(
            f"Google account {account.name!r} is broken ({account.broken_reason}); "
            "reconnect it with `okrmail accounts add google`",
            reason="accountBroken",
            permanent=True,
        )
    return Acting(account, calendar_id)


def build_service(config: GoogleConfig, http: httplib2.Http) -> tuple[Resource, str]:
    """The Calendar v3 service from the bundled discovery document, and its batch URI."""
    document = json.loads(get_static_doc("calendar", "v3") or "{}")
    if not document:
        raise ConnectorError("google-api-python-client lacks calendar.v3.json", permanent=True)
    root = config.api_endpoint if config.api_endpoint.endswith("/") else config.api_endpoint + "/"
    document["rootUrl"] = root
    document["baseUrl"] = urljoin(root, document["servicePath"])
    batch_uri = config.batch_url or urljoin(root, document.get("batchPath", "batch"))
    return build_from_document(document, http=http), batch_uri


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


class GoogleTransport:
    """Authorized, retried, batched Calendar API calls (see the module docstring)."""

    def __init__(
        self,
        config: GoogleConfig,
        store: GoogleAccountStore,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self.store = store
        self.sleep = sleep  # injectable: tests record the backoff instead of waiting
        self.rand = rand
        self._http = httplib2.Http(timeout=config.timeout_seconds)
        self.service, self.batch_uri = build_service(config, self._http)
        self._credentials: dict[tuple[str, int, str], Credentials] = {}
        self._signers: dict[tuple[str, int], service_account.Credentials] = {}
        self._revoked: dict[tuple[str, int], str] = {}

    # -- the public surface ------------------------------------------------------------

    def call(self, call: Call) -> Any:
        """Run one call; its JSON reply, or raise GoogleApiError."""
        result = self.run([call])[0]
        if isinstance(result, GoogleApiError):
            raise result
        return result

    def run(self, calls: Sequence[Call]) -> list[Any]:
        """Run `calls` (batched by config.batch_size); each result is the JSON reply or a
        GoogleApiError, in call order. Retryable failures are retried together, with one
        backoff wait per round, at most config.max_retries times."""
        results: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))
        for attempt in range(self.config.max_retries + 1):
            outcomes = self._round(calls, pending)
            retry_after = 0.0
            still: list[int] = []
            for index, outcome in outcomes.items():
                if outcome.retry and attempt < self.config.max_retries:
                    still.append(index)
                    retry_after = max(retry_after, outcome.retry_after)
                elif outcome.retry and outcome.error is not None:
                    results[index] = GoogleApiError(
                        f"{outcome.error.message} (still failing after {attempt + 1} tries)",
                        status=outcome.error.status,
                        reason=outcome.error.reason,
                        permanent=False,
                    )
                else:
                    results[index] = outcome.error or outcome.value
            if not still:
                break
            pending = sorted(still)
            self.sleep(self.backoff(attempt, retry_after))
        return results

    def backoff(self, attempt: int, retry_after: float = 0.0) -> float:
        """Seconds to wait before retry `attempt + 1`: full jitter under an exponential cap,
        never less than the server's Retry-After, never more than backoff_max_seconds."""
        cap = self.config.backoff_max_seconds
        ceiling = min(cap, self.config.backoff_base_seconds * 2**attempt)
        return min(cap, max(retry_after, self.rand() * ceiling))

    def token(self, acting: Acting, *, force: bool = False) -> str:
        """A valid access token for `acting`, from the cache unless expired or `force`."""
        key = (acting.account.name, acting.account.revision)
        if key in self._revoked:
            raise GoogleApiError(
                f"Google account {acting.account.name!r} is broken ({self._revoked[key]})",
                reason="accountBroken",
                permanent=True,
            )
        credentials = self._credentials_for(acting)
        if force or not credentials.valid:
            try:
                credentials.refresh(google_auth_httplib2.Request(self._http))
            except RefreshError as error:
                raise self._refresh_failed(acting, error) from None
            except TRANSPORT_ERRORS as error:
                raise GoogleApiError(
                    f"token request for {acting.subject} failed: {error}", permanent=False
                ) from None
        return str(credentials.token)

    # -- one round: authorize, send, classify --------------------------------------------

    def _round(self, calls: Sequence[Call], pending: Sequence[int]) -> dict[int, _Outcome]:
        outcomes: dict[int, _Outcome] = {}
        ready: dict[int, HttpRequest] = {}
        for index in pending:
            try:
                ready[index] = self._authorized(calls[index])
            except GoogleApiError as error:
                outcomes[index] = _Outcome(error=error, retry=not error.permanent)
        sent = self._send_all(calls, ready)
        # A 401 means the token died early (revoked, or expired in flight): refresh it once
        # and resend at once, rather than waiting a backoff round for it.
        unauthorized = [index for index, outcome in sent.items() if outcome.error and
                        outcome.error.status == 401]
        if unauthorized:
            again: dict[int, HttpRequest] = {}
            for index in unauthorized:
                try:
                    self.token(calls[index].acting, force=True)
                    again[index] = self._authorized(calls[index])
                except GoogleApiError as error:
                    sent[index] = _Outcome(error=error, retry=not error.permanent)
            sent.update(self._send_all(calls, again))
        outcomes.update(sent)
        return outcomes

    def _authorized(self, call: Call) -> HttpRequest:
        request = call.build(self.service)
        request.headers["authorization"] = f"Bearer {self.token(call.acting)}"
        return request

    def _send_all(self, calls: Sequence[Call], ready: dict[int, HttpRequest]) -> dict[int, _Outcome]:
        outcomes: dict[int, _Outcome] = {}
        indexes = list(ready)
        size = max(1, min(self.config.batch_size, 50))
        for start in range(0, len(indexes), size):
            chunk = indexes[start : start + size]
            if len(chunk) == 1:
                outcomes.update(self._send_one(calls, chunk[0], ready[chunk[0]]))
            else:
                outcomes.update(self._send_batch(calls, {index: ready[index] for index in chunk}))
        return outcomes

    def _send_one(self, calls: Sequence[Call], index: int, request: HttpRequest) -> dict[int, _Outcome]:
        try:
            return {index: _Outcome(value=request.execute(http=self._http, num_retries=0))}
        except HttpError as error:
            return {index: self._http_failure(calls[index].what, error)}
        except TRANSPORT_ERRORS as error:
            return {index: self._transport_failure(calls[index].what, error)}

    def _send_batch(self, calls: Sequence[Call], requests: dict[int, HttpRequest]) -> dict[int, _Outcome]:
        outcomes: dict[int, _Outcome] = {}

        def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
            index = int(request_id)
            if exception is None:
                outcomes[index] = _Outcome(value=response)
            else:
                outcomes[index] = self._http_failure(calls[index].what, exception)

        batch = BatchHttpRequest(callback=collect, batch_uri=self.batch_uri)
        for index, request in requests.items():
            batch.add(request, request_id=str(index))
        try:
            batch.execute(http=self._http)
        except HttpError as error:  # the batch request itself failed
            failure = self._http_failure(f"batch of {len(requests)} calls", error)
            return {index: failure for index in requests}
        except TRANSPORT_ERRORS as error:
            failure = self._transport_failure(f"batch of {len(requests)} calls", error)
            return {index: failure for index in requests}
        for index in requests:  # a part missing from the reply: send it again
            outcomes.setdefault(
                index,
                _Outcome(error=GoogleApiError("no reply in batch", permanent=False), retry=True),
            )
        return outcomes

    # -- error mapping ---------------------------------------------------------------------

    def _http_failure(self, what: str, error: HttpError) -> _Outcome:
        status = int(error.resp.status)
        reason, message = error_reason(error.content)
        retry = is_retryable(status, reason)
        failure = GoogleApiError(
            f"{what}: HTTP {status} {reason or ''} {message}".rstrip(),
            status=status,
            reason=reason,
            permanent=not retry,
        )
        try:
            retry_after = float(error.resp.get("retry-after", 0) or 0)
        except ValueError:
            retry_after = 0.0
        return _Outcome(error=failure, retry=retry, retry_after=retry_after)

    @staticmethod
    def _transport_failure(what: str, error: BaseException) -> _Outcome:
        failure = GoogleApiError(f"{what}: {type(error).__name__}: {error}", permanent=False)
        return _Outcome(error=failure, retry=True)

    def _refresh_failed(self, acting: Acting, error: RefreshError) -> GoogleApiError:
        """Map a failed token request; a revoked grant marks the account broken (once)."""
        data = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], dict) else {}
        code = str(data.get("error", ""))
        description = str(data.get("error_description", ""))
        account = acting.account
        if code == "invalid_grant" and _revokes_account(account, description):
            reason = f"invalid_grant: {description}".strip()
            self._revoked[(account.name, account.revision)] = reason
            self._drop_credentials(account)
            log.error("Google account %s: grant revoked (%s)", account.name, reason)
            self.store.mark_broken(account, reason)
            return GoogleApiError(
                f"Google account {account.name!r} was revoked: {reason}",
                reason="invalid_grant",
                permanent=True,
            )
        retryable = bool(getattr(error, "retryable", False))
        return GoogleApiError(
            f"token request for {acting.subject} failed: {code or error}",
            reason=code,
            permanent=not retryable,
        )

    # -- credentials ----------------------------------------------------------------------

    def _credentials_for(self, acting: Acting) -> Credentials:
        account = acting.account
        key = (account.name, account.revision, acting.subject.lower())
        credentials = self._credentials.get(key)
        if credentials is None:
            if account.kind == "service_account":
                credentials = self._signer(account).with_subject(acting.subject)
            else:
                credentials = user_credentials.Credentials(
                    token=None,
                    refresh_token=account.secret.get("refresh_token"),
                    token_uri=self.config.token_uri,
                    client_id=self.config.client_id,
                    client_secret=self.config.client_secret,
                    scopes=list(SCOPES),
                )
            self._credentials[key] = credentials
        return credentials

    def _signer(self, account: GoogleAccount) -> service_account.Credentials:
        """The account's key, parsed once; token_uri is ours, whatever the key file says.

        Always used with a subject (domain-wide delegation): without one google-auth would
        look up access boundaries on Google's own servers.
        """
        key = (account.name, account.revision)
        if key not in self._signers:
            info = {**account.secret, "token_uri": self.config.token_uri}
            try:
                self._signers[key] = service_account.Credentials.from_service_account_info(
                    info, scopes=list(SCOPES)
                )
            except (ValueError, KeyError) as error:
                raise GoogleApiError(
                    f"Google account {account.name!r} has an unusable key: {error}",
                    reason="badKey",
                    permanent=True,
                ) from None
        return self._signers[key]

    def _drop_credentials(self, account: GoogleAccount) -> None:
        for key in [key for key in self._credentials if key[0] == account.name]:
            del self._credentials[key]

    def cached_subjects(self) -> set[str]:
        """Users we hold a live token for (a free/busy query prefers to act as one)."""
        return {key[2] for key, credentials in self._credentials.items() if credentials.valid}


def _revokes_account(account: GoogleAccount, description: str) -> bool:
    """invalid_grant for a service account can mean one unknown user, not a dead key."""
    if account.kind == "oauth":
        return True
    return "user id" not in description.lower()
