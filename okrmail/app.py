"""The application context: settings, database, clock and providers, built once per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from connectors.calendar import CalendarProvider, ProviderDeps, build_calendar_provider
from connectors.calendar.local import LocalCalendarConfig
from connectors.mail import MailSender, build_mail_sender
from connectors.mail.maildir import MaildirConfig
from okrmail.clock import Clock, SystemClock
from okrmail.db import IMMEDIATE, make_engine, make_session_factory
from okrmail.settings import Settings, SettingsError


@dataclass
class AppContext:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    engine: Engine | None = None

    def __post_init__(self) -> None:
        self._check_providers()
        if self.engine is None:
            self.engine = make_engine(self.settings.database_url, echo=self.settings.database.echo)
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        self._immediate = make_session_factory(self.engine.execution_options(**{IMMEDIATE: True}))

    def _check_providers(self) -> None:
        """Unknown provider names stop start-up, naming the key and the allowed names."""
        from connectors.calendar import calendar_providers
        from connectors.mail import mail_senders

        if self.settings.calendar.provider == "google":
            import connectors.calendar.google  # noqa: F401  (registers "google" on import)

        for key, registry, name in (
            ("calendar.provider", calendar_providers, self.settings.calendar.provider),
            ("mail.outbound", mail_senders, self.settings.mail.outbound),
        ):
            if name not in registry.names():
                allowed = ", ".join(registry.names())
                raise SettingsError(
                    f"bad settings: {key}: unknown provider {name!r}; allowed: {allowed}"
                )

    @contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on error.

        `immediate`: on SQLite, lock the database for writing from the start (see
        `db._sqlite_begin`), for work that reads, then writes, while other processes may
        write too (ingest). Never open another transaction inside such a one."""
        with (self._immediate if immediate else self.sessions).begin() as session:
            yield session

    @cached_property
    def calendar(self) -> CalendarProvider:
        settings = self.settings
        config: Any = None
        if settings.calendar.provider == "local":
            config = LocalCalendarConfig(ics_dir=settings.data_path(settings.calendar.ics_dir))
        deps = ProviderDeps(config=config, session_factory=self.sessions, clock=self.clock)
        if settings.calendar.provider == "google":
            from okrmail.accounts import google_deps  # settings + the encrypted account store

            deps = google_deps(self)
        return build_calendar_provider(settings.calendar.provider, deps)

    def mail_sender(self) -> MailSender:
        """A fresh sender (one connection per batch; close it when the batch is done)."""
        settings = self.settings
        config: Any = settings.smtp
        if settings.mail.outbound == "maildir":
            config = MaildirConfig(path=settings.data_path(settings.mail.maildir))
        return build_mail_sender(settings.mail.outbound, config)

    def now(self) -> datetime:
        return self.clock.now()
