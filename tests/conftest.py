"""Shared fixtures: the app on SQLite and on PostgreSQL, a manual clock, a real SMTP server.

Every test that takes `ctx` runs twice, once per database. PostgreSQL and Redis are real
services; without them a test is skipped locally but fails under CI=true.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from okrmail.app import AppContext
from okrmail.clock import ManualClock
from okrmail.db import make_engine, upgrade
from okrmail.models import Base
from okrmail.settings import Settings, load_settings

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples"
POSTGRES_URL = os.environ.get(
    "OKRMAIL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("OKRMAIL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# A Monday morning in late autumn: far from DST changes unless a test moves the clock.
START = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)


def service_missing(what: str, error: Exception) -> None:
    """Skip locally, fail under CI: a missing service must never pass silently in CI."""
    message = f"{what} is not reachable: {error}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


def make_settings(data_dir: Path, database_url: str, **sections: dict[str, Any]) -> Settings:
    """The shipped defaults with data_dir and the database pointed at the test's own."""
    base = load_settings(environ={})
    merged = base.model_dump()
    merged["app"]["data_dir"] = data_dir
    merged["database"]["url"] = database_url
    for section, values in sections.items():
        merged[section] = {**merged[section], **values}
    return Settings.model_validate(merged)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A private PostgreSQL database for this test run, migrated once."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"okrmail_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        yield f"unavailable:{error}"
        return
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'okrmail.db'}"
        upgrade(url)
        yield url
        return
    url = request.getfixturevalue("postgres_database")
    if url.startswith("unavailable:"):
        service_missing("PostgreSQL", Exception(url.removeprefix("unavailable:")))
    engine = make_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def ctx(database_url: str, tmp_path: Path, clock: ManualClock) -> Iterator[AppContext]:
    context = AppContext(make_settings(tmp_path / "data", database_url), clock=clock)
    yield context
    assert context.engine is not None
    context.engine.dispose()


@pytest.fixture
def redis_url() -> str:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    try:
        Redis.from_url(REDIS_URL).ping()
    except RedisConnectionError as error:
        service_missing("Redis", error)
    return REDIS_URL


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


PEOPLE_HEADER = "email,name,manager_email,timezone,working_hours,working_days,cadence,question_set"


@pytest.fixture
def org(ctx: AppContext) -> AppContext:
    """The sample organisation from examples/, imported."""
    from okrmail.imports.okrs import import_okrs
    from okrmail.imports.people import import_people

    with ctx.transaction() as session:
        import_people(session, EXAMPLES / "people.csv", ctx.settings.templates_path)
    with ctx.transaction() as session:
        import_okrs(session, EXAMPLES / "okrs.csv")
    return ctx


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Received:
    """What a loopback SMTP server was handed: (envelope sender, recipients, raw bytes)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.sessions = 0  # EHLO/HELO greetings: one per SMTP connection
        self.reject_next: list[str] = []  # queued replies to DATA, e.g. "451 try later"

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reject_next:
            return self.reject_next.pop(0)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, Received]]:
    """A real SMTP server (aiosmtpd) on a loopback port."""
    from aiosmtpd.controller import Controller

    received = Received()
    port = free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, received
    finally:
        controller.stop()


@pytest.fixture
def run(ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path) -> Any:
    """The follow-up scenario (tests/test_followup.py) through a real SMTP server: Rob
    reports to Mia, their weekly 1-on-1 is on Thursday 19 November, 14:00 Berlin, and the
    clock stands on the Monday before. A module with other people defines its own `run`."""
    # Imported here: test_followup imports this module for its helpers.
    from tests.test_followup import MIA, MONDAY, ROB, scenario_with, smtp_context

    clock.set(MONDAY)
    scenario = smtp_context(ctx, clock, smtp_server)
    return scenario_with(scenario, clock, smtp_server[2], tmp_path, MIA, ROB)
