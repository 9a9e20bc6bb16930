"""Reading an import CSV with line numbers, and the error every import reports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


class ImportFailed(Exception):
    """The file was not imported; `problems` lists every error found, by line and field."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"{source}: {problem}" for problem in self.problems)
        super().__init__(f"{len(self.problems)} problem(s), nothing imported:\n{lines}")


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated or self.details)

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deactivated} deactivated"
        )


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]

    def get(self, name: str) -> str:
        return (self.values.get(name) or "").strip()


def read_rows(
    path: Path, required: Sequence[str], optional: Sequence[str]
) -> tuple[list[Row], list[Problem]]:
    """Rows keyed by lower-cased header; problems for a bad header or undecodable file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        return [], [Problem(1, "file", f"not UTF-8 text ({error.reason} at byte {error.start})")]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    problems = [
        Problem(1, name, "required column is missing") for name in required if name not in header
    ]
    known = set(required) | set(optional)
    allowed = ", ".join([*required, *optional])
    problems += [
        Problem(1, name or "(blank)", f"unknown column; allowed: {allowed}")
        for name in header
        if name not in known
    ]
    if problems:
        return [], problems
    reader.fieldnames = header
    rows = list(_rows(reader))
    overflowing = [
        Problem(row.line, "row", f"more fields than the {len(header)} columns of the header")
        for row, extra in rows
        if extra
    ]
    return [row for row, _ in rows], overflowing


def _rows(reader: csv.DictReader[str]) -> Iterator[tuple[Row, bool]]:
    """Non-blank rows with the line they start on (quoted fields may span lines)."""
    start = 2
    for record in reader:
        values = {key: value or "" for key, value in record.items() if key is not None}
        if any(value.strip() for value in values.values()) or None in record:
            yield Row(start, values), None in record
        start = reader.line_num + 1
