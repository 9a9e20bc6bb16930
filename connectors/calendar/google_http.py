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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError
from googleapiclient.discovery import Resource, build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from connectors.calendar.google_accounts import (
    Acting,
    CredentialCache,
    GoogleAccountStore,
    revokes_account,
)
from connectors.calendar.google_errors import (
    TRANSPORT_ERRORS,
    GoogleApiError,
    error_reason,
    is_retryable,
)
from connectors.errors import ConnectorError

log = logging.getLogger(__name__)


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
class Call:
    """One API call: who makes it, how to build it from the service, and what it is for."""

    acting: Acting
    build: Callable[[Resource], HttpRequest]
    what: str


def request(resource: str, method: str, **params: Any) -> Callable[[Resource], HttpRequest]:
    """A deferred `service.<resource>().<method>(**params)`, built when the call is sent."""
    return lambda service: getattr(getattr(service, resource)(), method)(**params)


@dataclass
class _Outcome:
    value: Any = None
    error: GoogleApiError | None = None
    retry: bool = False
    retry_after: float = 0.0


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
        self.credentials = CredentialCache(config.token_uri, config.client_id, config.client_secret)
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
        credentials = self.credentials.get(acting)
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
        unauthorized = [
            index
            for index, outcome in sent.items()
            if outcome.error and outcome.error.status == 401
        ]
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

    def _send_all(
        self, calls: Sequence[Call], ready: dict[int, HttpRequest]
    ) -> dict[int, _Outcome]:
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

    def _send_one(
        self, calls: Sequence[Call], index: int, request: HttpRequest
    ) -> dict[int, _Outcome]:
        try:
            return {index: _Outcome(value=request.execute(http=self._http, num_retries=0))}
        except HttpError as error:
            return {index: self._http_failure(calls[index].what, error)}
        except TRANSPORT_ERRORS as error:
            return {index: self._transport_failure(calls[index].what, error)}

    def _send_batch(
        self, calls: Sequence[Call], requests: dict[int, HttpRequest]
    ) -> dict[int, _Outcome]:
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
        if code == "invalid_grant" and revokes_account(account, description):
            reason = f"invalid_grant: {description}".strip()
            self._revoked[(account.name, account.revision)] = reason
            self.credentials.drop(account)
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
