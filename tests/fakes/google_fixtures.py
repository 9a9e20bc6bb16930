"""Pytest fixtures for the Google tests: the fake server, and `ctx` pointed at it.

Import them into a test module (`from tests.fakes.google_fixtures import *`): the module's
`ctx` then overrides conftest's, still running each test on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from connectors.calendar.google import GoogleCalendar
from okrmail.accounts import add_service_account
from okrmail.app import AppContext
from okrmail.clock import ManualClock
from tests.conftest import make_settings
from tests.fakes.google_server import FakeGoogle, new_service_account

SA_EMAIL = "okrmail@okrmail-test.iam.gserviceaccount.com"
OAUTH_CLIENT = ("okrmail-client.apps.googleusercontent.com", "client-secret-for-tests")
SECRET_KEY = Fernet.generate_key().decode()

__all__ = [
    "ctx",
    "fake_google",
    "google_overrides",
    "google_settings",
    "service_account",
    "sleeps",
]


@pytest.fixture(scope="session")
def service_account() -> tuple[dict[str, str], bytes]:
    """A service-account key made at test time (no committed private key) and its public
    half, which the fake uses to check the JWT assertion's signature."""
    return new_service_account(SA_EMAIL)


@pytest.fixture
def fake_google(
    clock: ManualClock, service_account: tuple[dict[str, str], bytes]
) -> Iterator[FakeGoogle]:
    info, public = service_account
    fake = FakeGoogle(clock.now).start()
    fake.register_service_account(info["client_email"], public, info["private_key_id"])
    fake.add_oauth_client(*OAUTH_CLIENT)
    yield fake
    fake.stop()


def google_settings(fake: FakeGoogle, **overrides: Any) -> dict[str, Any]:
    """The [google] section pointing every endpoint at the fake; quick retries."""
    return {
        "api_endpoint": fake.url,
        "token_uri": fake.token_uri,
        "auth_uri": fake.auth_uri,
        "client_id": OAUTH_CLIENT[0],
        "client_secret": OAUTH_CLIENT[1],
        "redirect_uri": "http://127.0.0.1:9/oauth/google/callback",
        "timeout_seconds": 10,
        "max_retries": 6,
        **overrides,
    }


@pytest.fixture
def google_overrides() -> dict[str, Any]:
    """[google] settings a test module wants different (override this fixture)."""
    return {}


@pytest.fixture
def sleeps() -> list[float]:
    """The backoff waits the provider asked for (none is actually slept)."""
    return []


@pytest.fixture
def ctx(
    database_url: str,
    tmp_path: Path,
    clock: ManualClock,
    fake_google: FakeGoogle,
    service_account: tuple[dict[str, str], bytes],
    sleeps: list[float],
    google_overrides: dict[str, Any],
) -> Iterator[AppContext]:
    """The app with calendar.provider = google, a Workspace service account connected."""
    settings = make_settings(
        tmp_path / "data",
        database_url,
        calendar={"provider": "google"},
        google=google_settings(fake_google, **google_overrides),
        security={"secret_key": SECRET_KEY},
        app={"admin_email": "it-admin@example.com"},
    )
    context = AppContext(settings, clock=clock)
    add_service_account(context, "workspace", service_account[0], domains=["example.com"])
    provider = context.calendar
    assert isinstance(provider, GoogleCalendar)
    provider.transport.sleep = sleeps.append
    yield context
    assert context.engine is not None
    context.engine.dispose()


# Two managers in Berlin, two in New York, three reports each, spread over both zones.
TWO_ZONE_ORG = [
    "anna@example.com,Anna Berlin,,Europe/Berlin,09:00-17:00,Mon-Fri,,",
    "bert@example.com,Bert Berlin,,Europe/Berlin,09:00-17:00,Mon-Fri,,",
    "nina@example.com,Nina NY,,America/New_York,09:00-17:00,Mon-Fri,,",
    "owen@example.com,Owen NY,,America/New_York,09:00-17:00,Mon-Fri,,",
    *(
        f"{manager[0]}{number}@example.com,Report {manager[0].upper()}{number},"
        f"{manager}@example.com,{zone},09:00-17:00,Mon-Fri,weekly,"
        for manager in ("anna", "bert", "nina", "owen")
        for number, zone in enumerate(("Europe/Berlin", "America/New_York", "Europe/Berlin"))
    ),
]


def import_org(ctx: AppContext, tmp_path: Path, rows: list[str] | None = None) -> None:
    """Import people (and so pairings) from CSV rows, as `okrmail people import` does."""
    from okrmail.imports.people import import_people
    from tests.conftest import PEOPLE_HEADER, write_csv

    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, *(rows or TWO_ZONE_ORG))
    with ctx.transaction() as session:
        import_people(session, path, ctx.settings.templates_path)
