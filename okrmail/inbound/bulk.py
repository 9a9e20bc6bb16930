"""Many rows through one INSERT or UPDATE, without SQLAlchemy's work per row where the
driver takes plain tuples (SQLite).

An executemany through SQLAlchemy turns every row into its compiled parameters, then into
the driver's: a dict built and a lookup per column, per row. For the thousand-odd rows a
batch of replies writes (answers, readings, key results, statuses) that cost more than
SQLite took to store them. Here the statement is compiled once per dialect and set of
keys, and each row is bound as a tuple, taken from the row in the compiled order, with the
same bind processors SQLAlchemy would run (those of the column types: dates to UTC text,
decimals, booleans), run only on the columns that have one. The rows, their values and
the SQL are SQLAlchemy's own; only the bookkeeping around them is skipped.

Statements that need more than that (parameters by name, as psycopg takes them; Python-side
defaults to fill in; expanding IN lists) go through `Session.execute` as before: on
PostgreSQL SQLAlchemy also folds an INSERT's rows into few statements, which is worth its
bookkeeping there.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Insert, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class _Plan:
    """A statement compiled for one dialect and one set of row keys."""

    sql: str
    columns: Callable[[Mapping[str, Any]], tuple[Any, ...]]  # a row's values, in order
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, bind processor)

    def bind(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        values = self.columns(row)
        if not self.processors:
            return values
        bound = list(values)
        for position, process in self.processors:
            bound[position] = process(bound[position])
        return tuple(bound)


class Bulk:
    """An INSERT or UPDATE to run over many rows (dicts with the same keys), as
    `session.execute(statement, rows)` would."""

    def __init__(self, statement: Insert | Update) -> None:
        self.statement = statement
        # Dialect -> row keys -> plan (None: left to SQLAlchemy). Weakly keyed, so that an
        # engine's dialect is not kept alive by a statement built at import.
        self._plans: weakref.WeakKeyDictionary[Dialect, dict[tuple[str, ...], _Plan | None]]
        self._plans = weakref.WeakKeyDictionary()

    def execute(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        connection = session.connection()
        keys = tuple(rows[0])
        plans = self._plans.setdefault(connection.dialect, {})
        if keys not in plans:
            plans[keys] = self._plan(connection.dialect, keys)
        plan = plans[keys]
        if plan is None:
            session.execute(self.statement, list(rows))
            return
        _autoflush(session)
        connection.exec_driver_sql(plan.sql, [plan.bind(row) for row in rows])

    def _plan(self, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
        compiled = self.statement.compile(dialect=dialect, column_keys=list(keys))
        names = compiled.positiontup
        simple = (
            compiled.positional
            and len(names) > 1  # (itemgetter of one name gives no tuple)
            and set(names) <= set(keys)  # every parameter comes from the rows
            and not compiled.insert_prefetch  # no Python-side defaults to compute
            and not compiled.update_prefetch
            and not compiled.literal_execute_params
            and not compiled.post_compile_params
        )
        if not simple:
            return None
        processors = []
        for position, name in enumerate(names):
            process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((position, process))
        return _Plan(compiled.string, itemgetter(*names), tuple(processors))


def _autoflush(session: Session) -> None:
    """What `Session.execute` does first: write the ORM changes still pending (unless the
    session does not autoflush), so that the rows come after them, as they did."""
    if session.autoflush:
        session.flush()
