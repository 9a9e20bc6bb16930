from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from okrmail.app import AppContext
from okrmail.imports.csvfile import ImportFailed
from okrmail.imports.okrs import import_okrs
from okrmail.models import KeyResult, Objective
from tests.conftest import EXAMPLES, write_csv

HEADER = "person,cycle,objective,key_result,start,target,unit"


def run_import(ctx: AppContext, path: Path):  # type: ignore[no-untyped-def]
    with ctx.transaction() as session:
        return import_okrs(session, path)


def test_reimport_changes_nothing_and_keeps_progress(org: AppContext) -> None:
    with org.transaction() as session:
        result = session.scalars(select(KeyResult).where(KeyResult.title == "Onboarding NPS")).one()
        result.current_value = Decimal(40)
    again = run_import(org, EXAMPLES / "okrs.csv")
    assert not again.changed and again.unchanged == 22
    with org.sessions() as session:
        result = session.scalars(select(KeyResult).where(KeyResult.title == "Onboarding NPS")).one()
        assert result.current_value == 40
        assert result.progress_percent == 47  # (40-31)/(50-31)


def test_dropped_key_result_is_deactivated(org: AppContext, tmp_path: Path) -> None:
    lines = (EXAMPLES / "okrs.csv").read_text().splitlines()
    path = tmp_path / "okrs.csv"
    path.write_text("\n".join(line for line in lines if "Onboarding NPS" not in line) + "\n")
    summary = run_import(org, path)
    assert summary.deactivated == 1
    with org.sessions() as session:
        result = session.scalars(select(KeyResult).where(KeyResult.title == "Onboarding NPS")).one()
        assert result.active is False
        assert session.scalars(select(Objective)).all()  # objectives kept


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "ghost@example.com,2026-Q4,O,KR,0,10,",
            "line 2, person: no active person 'ghost@example.com'",
        ),
        ("lena.vogel@example.com,2026-Q4,O,KR,zero,10,", "line 2, start: 'zero' is not a number"),
        ("lena.vogel@example.com,2026-Q4,O,KR,5,5,", "line 2, target: equals start"),
        ("lena.vogel@example.com,,O,KR,0,10,", "line 2, cycle: is empty"),
        (
            "lena.vogel@example.com,2026-Q4,O,KR,0,NaN,",
            "line 2, target: 'NaN' is not a finite number",
        ),
    ],
)
def test_each_error_names_line_and_field(
    org: AppContext, tmp_path: Path, row: str, expected: str
) -> None:
    path = write_csv(tmp_path / "okrs.csv", HEADER, row)
    with pytest.raises(ImportFailed) as failure:
        run_import(org, path)
    assert any(str(problem).startswith(expected) for problem in failure.value.problems), (
        failure.value
    )


def test_duplicate_key_result(org: AppContext, tmp_path: Path) -> None:
    row = "lena.vogel@example.com,2026-Q4,O,KR,0,10,"
    path = write_csv(tmp_path / "okrs.csv", HEADER, row, row)
    with pytest.raises(ImportFailed, match="line 3, key_result: duplicate of line 2"):
        run_import(org, path)
