"""Engine, sessions and schema migrations (Alembic; no create_all on the real path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


# An execution option: transactions on connections that carry it begin IMMEDIATE on SQLite
# (see `_sqlite_begin`; `AppContext.transaction(immediate=True)`).
IMMEDIATE = "okrmail_begin_immediate"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, a busy timeout, and
    transactions begun by us (see `_sqlite_begin`)."""
    if url.startswith("sqlite:"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """BEGIN IMMEDIATE where asked (`IMMEDIATE`): the database is locked for writing from
    the start, waiting (the busy timeout) while another process writes.

    Begun the driver's way, a transaction that reads first holds a snapshot, and its first
    write fails at once with "database is locked" when another process wrote since (a
    stale snapshot: waiting cannot help). Two replies piped in at the same moment did just
    that. Everything else keeps the driver's way, which begins only at the first write:
    reading holds no snapshot, and a transaction opened inside another one on the same
    thread (which IMMEDIATE would leave waiting for it) works as it did. (SQLAlchemy's
    pysqlite recipe: the driver is told to begin nothing while we begin.)"""
    dbapi_connection = connection.connection.dbapi_connection
    if connection.get_execution_options().get(IMMEDIATE, False):
        dbapi_connection.isolation_level = None  # type: ignore[union-attr]
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        dbapi_connection.isolation_level = ""  # type: ignore[union-attr]  # the default


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the database at `url` to `revision` (default: every head, so branches that
    landed side by side both apply), creating the SQLite file's folder."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def schema_problem(engine: Engine, url: str) -> str | None:
    """Why the database at `url` cannot be used by this version of okrmail, as one sentence
    that ends with what to do; None when its schema is the one this code expects.

    Asked before a command touches the database, so that a fresh install or an upgrade
    that skipped `okrmail db upgrade` says so, instead of failing later on a missing
    table or column. Connection errors propagate.
    """
    where = database_place(url)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:" and not Path(path).exists():
            # Connecting would create it, empty: nothing would say why every command fails.
            return f"no database at {where}: create it with `okrmail db upgrade`"
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    script = ScriptDirectory.from_config(alembic_config(url))
    wanted = set(script.get_heads())
    if current == wanted:
        return None
    if not current:
        return f"the database at {where} has no okrmail tables: run `okrmail db upgrade`"
    unknown = sorted(revision for revision in current if not _known(script, revision))
    if unknown:
        return (
            f"the database at {where} was migrated by a newer okrmail (schema "
            f"{', '.join(unknown)}): run that version, or restore a backup made before it"
        )
    return (
        f"the database at {where} has an older schema ({', '.join(sorted(current))}; this "
        f"okrmail needs {', '.join(sorted(wanted))}): run `okrmail db upgrade`"
    )


def database_place(url: str) -> str:
    """Where the database is, for a person: the SQLite file, or the URL without password."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///") or "(memory)"
    return make_url(url).render_as_string(hide_password=True)


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False
