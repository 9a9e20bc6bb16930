"""Who a Google call is made as: accounts, the acting user, and cached credentials.

An account is a service account with domain-wide delegation (acting as any user of its
domains) or one user's OAuth grant (acting as that user only). Credentials are cached per
(account, revision, user): google-auth refreshes a token only when it expires, so each
acting user costs one token request per token lifetime, and reconnecting an account
(a new revision) leaves what was cached for the old one unused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from google.auth.credentials import Credentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from connectors.calendar.google_errors import GoogleApiError

SCOPES = ("https://www.googleapis.com/auth/calendar",)


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


def acting_for(accounts: Sequence[GoogleAccount], calendar_id: str) -> Acting:
    """The account that may act as the owner of `calendar_id` (its own OAuth grant first).

    Raises a permanent GoogleApiError when none can, or when the one that can is broken.
    """
    candidates = [account for account in accounts if account.can_act_as(calendar_id)]
    candidates.sort(
        key=lambda account: (account.kind != "oauth", account.broken_reason is not None)
    )
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


def reader_for(accounts: Sequence[GoogleAccount], calendar_id: str) -> GoogleAccount | None:
    """Who reads a calendar's free/busy: its own writer, else a healthy account of its
    domain (a colleague's free/busy is visible inside a Workspace domain)."""
    try:
        return acting_for(accounts, calendar_id).account
    except GoogleApiError:
        domain = calendar_id.rpartition("@")[2].lower()
        for account in accounts:
            if not account.broken_reason and account.email.rpartition("@")[2].lower() == domain:
                return account
        return None


def revokes_account(account: GoogleAccount, description: str) -> bool:
    """Whether an invalid_grant kills the account: for a service account it can also mean
    one unknown user ("Invalid email or User ID"), which breaks nothing else."""
    if account.kind == "oauth":
        return True
    return "user id" not in description.lower()


class CredentialCache:
    """google-auth credentials per acting user, made on first use and kept."""

    def __init__(self, token_uri: str, client_id: str, client_secret: str) -> None:
        self._token_uri = token_uri
        self._client = (client_id, client_secret)
        self._credentials: dict[tuple[str, int, str], Credentials] = {}
        self._signers: dict[tuple[str, int], service_account.Credentials] = {}

    def get(self, acting: Acting) -> Credentials:
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
                    token_uri=self._token_uri,
                    client_id=self._client[0],
                    client_secret=self._client[1],
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
            info = {**account.secret, "token_uri": self._token_uri}
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

    def drop(self, account: GoogleAccount) -> None:
        """Forget the account's credentials (its grant was revoked)."""
        for key in [key for key in self._credentials if key[0] == account.name]:
            del self._credentials[key]

    def live_subjects(self) -> set[str]:
        """Users we hold a valid token for (a free/busy query prefers to act as one)."""
        return {key[2] for key, credentials in self._credentials.items() if credentials.valid}
