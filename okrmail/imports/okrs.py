"""`okrmail okrs import`: objectives and key results from a CSV file.

Columns: person (email), cycle (e.g. 2026-Q4), objective, key_result, start, target, unit.
For every (person, cycle) in the file, the file is the whole truth: objectives and key
results that no longer appear are deactivated; progress already reported is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from okrmail.imports.csvfile import ImportFailed, ImportSummary, Problem, Row, read_rows
from okrmail.models import KeyResult, Objective, Person

REQUIRED = ("person", "cycle", "objective", "key_result", "start", "target")
OPTIONAL = ("unit",)


@dataclass(frozen=True)
class KeyResultRecord:
    line: int
    person: str
    cycle: str
    objective: str
    key_result: str
    start: Decimal
    target: Decimal
    unit: str


def _number(row: Row, field: str, problems: list[Problem]) -> Decimal:
    text = row.get(field).replace(",", "").removesuffix("%").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.append(Problem(row.line, field, f"{row.get(field)!r} is not a number"))
        return Decimal(0)
    if not value.is_finite():
        problems.append(Problem(row.line, field, f"{row.get(field)!r} is not a finite number"))
    return value


def _parse_row(
    row: Row, active_people: set[str], problems: list[Problem]
) -> KeyResultRecord | None:
    before = len(problems)
    person = row.get("person").lower()
    if person not in active_people:
        problems.append(
            Problem(row.line, "person", f"no active person {person!r}; import people first")
        )
    for field in ("cycle", "objective", "key_result"):
        if not row.get(field):
            problems.append(Problem(row.line, field, "is empty"))
    start, target = _number(row, "start", problems), _number(row, "target", problems)
    if len(problems) == before and start == target:
        problems.append(Problem(row.line, "target", "equals start: nothing to measure"))
    if len(problems) > before:
        return None
    return KeyResultRecord(
        row.line,
        person,
        row.get("cycle"),
        row.get("objective"),
        row.get("key_result"),
        start,
        target,
        row.get("unit"),
    )


def validate_okrs(session: Session, path: Path) -> list[KeyResultRecord]:
    rows, problems = read_rows(path, REQUIRED, OPTIONAL)
    active = set(session.scalars(select(Person.email).where(Person.active.is_(True))))
    records = [record for row in rows if (record := _parse_row(row, active, problems))]
    seen: dict[tuple[str, str, str, str], int] = {}
    for record in records:
        key = (record.person, record.cycle, record.objective, record.key_result)
        if key in seen:
            problems.append(Problem(record.line, "key_result", f"duplicate of line {seen[key]}"))
        seen.setdefault(key, record.line)
    if problems:
        raise ImportFailed(str(path), sorted(problems, key=lambda item: item.line))
    return records


def import_okrs(session: Session, path: Path) -> ImportSummary:
    """Validate the file, then upsert objectives and key results in the caller's transaction."""
    records = validate_okrs(session, path)
    summary = ImportSummary()
    people = {person.email: person for person in session.scalars(select(Person))}
    scopes = {(record.person, record.cycle) for record in records}
    objectives: dict[tuple[int, str, str], Objective] = {
        (objective.person_id, objective.cycle, objective.title): objective
        for objective in session.scalars(select(Objective))
    }
    objective_order: dict[tuple[int, str], list[int]] = {}
    kept_results: set[int] = set()
    positions: dict[tuple[int, str], int] = {}
    for record in records:
        person = people[record.person]
        objective = objectives.get((person.id, record.cycle, record.objective))
        if objective is None:
            objective = Objective(person=person, cycle=record.cycle, title=record.objective)
            objective.key_results = []
            session.add(objective)
            objectives[(person.id, record.cycle, record.objective)] = objective
            session.flush()
        scope = (person.id, record.cycle)
        order = objective_order.setdefault(scope, [])
        if objective.id not in order:
            order.append(objective.id)
            _set(objective, summary, position=len(order) - 1, active=True)
        position = positions.get(scope, 0)
        positions[scope] = position + 1
        result = next((kr for kr in objective.key_results if kr.title == record.key_result), None)
        if result is None:
            result = KeyResult(
                objective=objective,
                title=record.key_result,
                start_value=record.start,
                target_value=record.target,
                unit=record.unit,
                position=position,
                active=True,
            )
            session.add(result)
            session.flush()
            summary.created += 1
        elif _set(
            result,
            summary,
            start_value=record.start,
            target_value=record.target,
            unit=record.unit,
            position=position,
            active=True,
        ):
            summary.updated += 1
        else:
            summary.unchanged += 1
        kept_results.add(result.id)
    kept_objectives = {oid for order in objective_order.values() for oid in order}
    emails = {person.id: email for email, person in people.items()}
    for (person_id, cycle, _title), objective in objectives.items():
        if (emails[person_id], cycle) not in scopes:
            continue
        if objective.id not in kept_objectives and objective.active:
            objective.active = False
            summary.details.append(f"deactivated objective {objective.title!r}")
        for result in objective.key_results:
            if result.id not in kept_results and result.active:
                result.active = False
                summary.deactivated += 1
    session.flush()
    return summary


def _set(row: object, summary: ImportSummary, **values: object) -> bool:
    """Assign the values that differ; True when anything changed."""
    changed = False
    for attribute, value in values.items():
        current = getattr(row, attribute)
        if isinstance(value, Decimal) and current is not None:
            differs = Decimal(current) != value
        else:
            differs = current != value
        if differs:
            setattr(row, attribute, value)
            changed = True
    return changed
