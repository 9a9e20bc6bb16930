"""`okrmail people import`: the org chart from a CSV file.

Columns: email, name, manager_email, timezone, working_hours (HH:MM-HH:MM), working_days
(e.g. Mon-Fri), cadence, question_set, aliases. The file is the whole organisation: a person
missing from it is deactivated (never deleted), and so are their pairings.

`aliases` are the other addresses a person answers from (separated by spaces, commas or
semicolons): a reply from one of them is theirs. No alias may be, or stand for, another
person's address. Without the column, the aliases already stored are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from okrmail.addresses import normalise
from okrmail.cadence import CADENCES
from okrmail.imports.csvfile import ImportFailed, ImportSummary, Problem, Row, read_rows
from okrmail.models import Pairing, Person
from okrmail.questions import default_question_set, question_sets
from okrmail.settings import check_timezone, parse_window

REQUIRED = ("email", "name", "timezone")
OPTIONAL = (
    "manager_email",
    "working_hours",
    "working_days",
    "cadence",
    "question_set",
    "aliases",
)
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_ALIAS_SEPARATORS = re.compile(r"[\s,;]+")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class PersonRecord:
    line: int
    email: str
    name: str
    manager_email: str
    timezone: str
    work_start: time
    work_end: time
    work_days: list[int]
    cadence: str
    question_set: str
    aliases: tuple[str, ...] | None  # None: the file has no aliases column (keep them)


def parse_days(value: str) -> list[int]:
    """'Mon-Fri' -> [1..5]; 'Mon,Wed,Fri' -> [1, 3, 5]; also ISO numbers '1-5'."""
    days: set[int] = set()
    for part in value.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        start, end = _day(first), _day(last or first)
        if end < start:
            raise ValueError(f"day range {part!r} runs backwards")
        days.update(range(start, end + 1))
    return sorted(days)


def _day(text: str) -> int:
    if text.isdigit() and 1 <= int(text) <= 7:
        return int(text)
    if text[:3] in _DAYS and text:
        return _DAYS.index(text[:3]) + 1
    raise ValueError(f"unknown day {text!r}; use Mon..Sun or 1..7, e.g. Mon-Fri")


def _parse_row(row: Row, templates: Path, problems: list[Problem]) -> PersonRecord | None:
    before = len(problems)

    def problem(field: str, message: str) -> None:
        problems.append(Problem(row.line, field, message))

    email = row.get("email").lower()
    if not email:
        problem("email", "is empty")
    elif not _EMAIL.match(email):
        problem("email", f"{email!r} is not an email address")
    name = row.get("name")
    if not name:
        problem("name", "is empty")
    manager = row.get("manager_email").lower()
    timezone = row.get("timezone")
    try:
        check_timezone(timezone)
    except ValueError as error:
        problem("timezone", str(error))
    work_start, work_end = time(9), time(17)
    try:
        work_start, work_end = parse_window(row.get("working_hours") or "09:00-17:00")
    except ValueError as error:
        problem("working_hours", str(error))
    work_days = [1, 2, 3, 4, 5]
    try:
        work_days = parse_days(row.get("working_days") or "Mon-Fri")
    except ValueError as error:
        problem("working_days", str(error))
    cadence = (row.get("cadence") or "weekly").lower()
    question_set = row.get("question_set")
    if cadence not in CADENCES:
        problem("cadence", f"unknown cadence {cadence!r}; allowed: {', '.join(CADENCES)}")
    elif not question_set:
        question_set = default_question_set(templates, cadence)
    known_sets = question_sets(templates)
    if question_set and question_set not in known_sets:
        problem(
            "question_set",
            f"unknown question set {question_set!r}; allowed: {', '.join(known_sets)}",
        )
    aliases = _parse_aliases(row, email, problem)
    if len(problems) > before:
        return None
    return PersonRecord(
        row.line,
        email,
        name,
        manager,
        timezone,
        work_start,
        work_end,
        work_days,
        cadence,
        question_set,
        aliases,
    )


def _parse_aliases(
    row: Row, email: str, problem: Callable[[str, str], None]
) -> tuple[str, ...] | None:
    if "aliases" not in row.values:
        return None
    aliases: list[str] = []
    for alias in _ALIAS_SEPARATORS.split(row.get("aliases").lower()):
        if not alias or alias in aliases:
            continue
        if not _EMAIL.match(alias):
            problem("aliases", f"{alias!r} is not an email address")
        elif normalise(alias) == normalise(email):
            problem("aliases", f"{alias!r} is the person's own email")
        else:
            aliases.append(alias)
    return tuple(aliases)


def validate_people(path: Path, templates: Path) -> list[PersonRecord]:
    """Every record of the file, or ImportFailed listing every problem by line and field."""
    rows, problems = read_rows(path, REQUIRED, OPTIONAL)
    records = [record for row in rows if (record := _parse_row(row, templates, problems))]
    first_line: dict[str, int] = {}
    for record in records:
        if record.email in first_line:
            problems.append(
                Problem(record.line, "email", f"duplicate of line {first_line[record.email]}")
            )
        first_line.setdefault(record.email, record.line)
    by_email = {record.email: record for record in records}
    for record in records:
        if record.manager_email and record.manager_email not in by_email:
            problems.append(
                Problem(
                    record.line,
                    "manager_email",
                    f"unknown manager {record.manager_email!r} (not in this file)",
                )
            )
        elif record.manager_email == record.email:
            problems.append(
                Problem(record.line, "manager_email", "a person cannot manage themselves")
            )
    problems += _cycles(records, by_email)
    problems += _shared_addresses(records)
    if problems:
        raise ImportFailed(str(path), sorted(problems, key=lambda item: item.line))
    return records


def _cycles(records: list[PersonRecord], by_email: dict[str, PersonRecord]) -> list[Problem]:
    """One problem per management cycle (A manages B manages A), reported on its first line."""
    problems: list[Problem] = []
    reported: set[str] = set()
    for record in records:
        seen: list[str] = []
        current: PersonRecord | None = record
        while current and current.manager_email and current.email not in seen:
            seen.append(current.email)
            current = by_email.get(current.manager_email)
        if current and current.email in seen and current.email not in reported:
            loop = seen[seen.index(current.email) :]
            reported.update(loop)
            line = min(by_email[email].line for email in loop)
            chain = " -> ".join([*loop, current.email])
            problems.append(Problem(line, "manager_email", f"cycle in the org chart: {chain}"))
    return problems


def _shared_addresses(
    records: list[PersonRecord], kept: Mapping[str, Sequence[str]] | None = None
) -> list[Problem]:
    """An alias that is (or, without its +tag, stands for) someone else's email or alias
    would let that person answer in this one's name: each is reported on its line.
    `kept`: the aliases stored for people whose record has none to replace them."""
    owner = {normalise(record.email): record for record in records}
    problems = []
    for record in records:
        stored = record.aliases is None
        aliases = (kept or {}).get(record.email, ()) if stored else record.aliases
        for alias in aliases or ():
            other = owner.setdefault(normalise(alias), record)
            if other is record:
                continue
            whose = "the email" if normalise(other.email) == normalise(alias) else "an alias"
            origin = " (stored before; this file has no aliases column)" if stored else ""
            problems.append(
                Problem(
                    record.line,
                    "aliases",
                    f"{alias!r}{origin} is {whose} of {other.email} (line {other.line})",
                )
            )
    return problems


def import_people(session: Session, path: Path, templates: Path) -> ImportSummary:
    """Validate the file, then upsert people and pairings in the caller's transaction."""
    records = validate_people(path, templates)
    summary = ImportSummary()
    people = {person.email: person for person in session.scalars(select(Person))}
    kept = {email: person.aliases or [] for email, person in people.items()}
    if clashes := _shared_addresses(records, kept):
        raise ImportFailed(str(path), clashes)
    for record in records:
        person = people.get(record.email)
        if person is None:
            person = Person(email=record.email, aliases=[], active=True)
            session.add(person)
            people[record.email] = person
            summary.created += 1
            _apply_person(person, record)
        elif _apply_person(person, record):
            summary.updated += 1
        else:
            summary.unchanged += 1
    session.flush()
    present = {record.email for record in records}
    for email, person in people.items():
        if email not in present and person.active:
            person.active = False
            summary.deactivated += 1
            summary.details.append(f"deactivated {email}")
    _sync_pairings(session, records, people, summary)
    session.flush()
    return summary


def _apply_person(person: Person, record: PersonRecord) -> bool:
    """Copy the record onto the person; True when anything changed."""
    wanted = {
        "name": record.name,
        "timezone": record.timezone,
        "work_start": record.work_start,
        "work_end": record.work_end,
        "work_days": record.work_days,
        "active": True,
    }
    if record.aliases is not None:
        wanted["aliases"] = list(record.aliases)
    changed = False
    for attribute, value in wanted.items():
        if getattr(person, attribute, None) != value:
            setattr(person, attribute, value)
            changed = True
    return changed


def _sync_pairings(
    session: Session,
    records: list[PersonRecord],
    people: dict[str, Person],
    summary: ImportSummary,
) -> None:
    existing = {
        (pair.manager_id, pair.report_id): pair for pair in session.scalars(select(Pairing))
    }
    wanted: set[tuple[int, int]] = set()
    for record in records:
        report = people[record.email]
        manager = people.get(record.manager_email) if record.manager_email else None
        report.manager_id = manager.id if manager else None
        if manager is None:
            continue
        key = (manager.id, report.id)
        wanted.add(key)
        pairing = existing.get(key)
        if pairing is None:
            session.add(
                Pairing(
                    manager_id=manager.id,
                    report_id=report.id,
                    cadence=record.cadence,
                    question_set=record.question_set,
                    active=True,
                )
            )
            summary.details.append(f"paired {record.manager_email} with {record.email}")
            continue
        wanted_values = (record.cadence, record.question_set, True)
        if (pairing.cadence, pairing.question_set, pairing.active) != wanted_values:
            pairing.cadence, pairing.question_set, pairing.active = wanted_values
            summary.details.append(f"updated pairing {record.manager_email} / {record.email}")
    for key, pairing in existing.items():
        if key not in wanted and pairing.active:
            pairing.active = False
            summary.details.append(f"ended pairing #{pairing.id}")
