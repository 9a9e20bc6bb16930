from pathlib import Path

import pytest
from sqlalchemy import func, select

from okrmail.app import AppContext
from okrmail.imports.csvfile import ImportFailed
from okrmail.imports.people import import_people
from okrmail.models import Pairing, Person
from tests.conftest import EXAMPLES, PEOPLE_HEADER, write_csv

GOOD_MANAGER = "boss@example.com,Bo Boss,,Europe/Berlin,09:00-17:00,Mon-Fri,,"


def run_import(ctx: AppContext, path: Path):  # type: ignore[no-untyped-def]
    with ctx.transaction() as session:
        return import_people(session, path, ctx.settings.templates_path)


def problems_of(ctx: AppContext, path: Path) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        run_import(ctx, path)
    return [str(problem) for problem in failure.value.problems]


def test_sample_organisation_imports_with_pairings(ctx: AppContext) -> None:
    summary = run_import(ctx, EXAMPLES / "people.csv")
    assert summary.created == 12
    with ctx.sessions() as session:
        zones = set(session.scalars(select(Person.timezone)))
        pairings = session.scalars(select(Pairing)).all()
        assert len(zones) >= 3
        assert len(pairings) == 10
        managers = {pairing.manager.email for pairing in pairings}
        assert managers == {"ana.keller@example.com", "marcus.reed@example.com"}
        jonas = session.scalars(
            select(Person).where(Person.email == "jonas.berg@example.com")
        ).one()
        assert jonas.work_days == [1, 2, 3, 4]
        tom = session.scalars(select(Person).where(Person.email == "tom.hughes@example.com")).one()
        assert tom.aliases == ["tom.hughes@contractor.example"]
        olivia_pairing = session.scalars(
            select(Pairing)
            .join(Person, Pairing.report_id == Person.id)
            .where(Person.email == "olivia.brown@example.com")
        ).one()
        assert (olivia_pairing.cadence, olivia_pairing.question_set) == (
            "quarterly",
            "quarterly-planning",
        )


def test_reimporting_the_same_file_changes_nothing(ctx: AppContext) -> None:
    run_import(ctx, EXAMPLES / "people.csv")
    again = run_import(ctx, EXAMPLES / "people.csv")
    assert not again.changed
    assert again.unchanged == 12


def test_person_missing_from_new_file_is_deactivated_not_deleted(
    ctx: AppContext, tmp_path: Path
) -> None:
    run_import(ctx, EXAMPLES / "people.csv")
    lines = (EXAMPLES / "people.csv").read_text().splitlines()
    smaller = [line for line in lines if not line.startswith("tom.hughes@")]
    path = tmp_path / "people.csv"
    path.write_text("\n".join(smaller) + "\n")
    summary = run_import(ctx, path)
    assert summary.deactivated == 1
    with ctx.sessions() as session:
        tom = session.scalars(select(Person).where(Person.email == "tom.hughes@example.com")).one()
        assert tom.active is False
        pairing = session.scalars(select(Pairing).where(Pairing.report_id == tom.id)).one()
        assert pairing.active is False
        assert session.scalar(select(func.count()).select_from(Person)) == 12
    # Coming back reactivates the same row.
    assert run_import(ctx, EXAMPLES / "people.csv").updated == 1


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            ["ann@example.com,Ann,ghost@example.com,Europe/Berlin,,,weekly,"],
            "line 3, manager_email: unknown manager 'ghost@example.com'",
        ),
        (
            ["ann@example.com,Ann,boss@example.com,Mars/Olympus,,,weekly,"],
            "line 3, timezone: unknown time zone 'Mars/Olympus'",
        ),
        (
            [
                "ann@example.com,Ann,boss@example.com,Europe/Berlin,,,,",
                "ANN@example.com,Ann B,,UTC,,,,",
            ],
            "line 4, email: duplicate of line 3",
        ),
        (
            [
                "ann@example.com,Ann,bob@example.com,UTC,,,,",
                "bob@example.com,Bob,ann@example.com,UTC,,,,",
            ],
            "line 3, manager_email: cycle in the org chart: "
            "ann@example.com -> bob@example.com -> ann@example.com",
        ),
        (
            ["ann@example.com,Ann,boss@example.com,UTC,,,fortnightly,"],
            "line 3, cadence: unknown cadence 'fortnightly'; "
            "allowed: weekly, biweekly, monthly, quarterly",
        ),
        (
            ["ann@example.com,Ann,boss@example.com,UTC,,,weekly,vibes-check"],
            "line 3, question_set: unknown question set 'vibes-check'",
        ),
        (
            ["ann@example.com,Ann,boss@example.com,UTC,17:00-09:00,,weekly,"],
            "line 3, working_hours: the window '17:00-09:00' ends before it starts",
        ),
        (
            ["ann@example.com,Ann,boss@example.com,UTC,,Mon-Funday,weekly,"],
            "line 3, working_days: unknown day 'funday'",
        ),
        (
            ["not-an-email,Ann,boss@example.com,UTC,,,weekly,"],
            "line 3, email: 'not-an-email' is not an email address",
        ),
        (["ann@example.com,,boss@example.com,UTC,,,weekly,"], "line 3, name: is empty"),
        (
            ["ann@example.com,Ann,ann@example.com,UTC,,,weekly,"],
            "line 3, manager_email: a person cannot manage themselves",
        ),
        (
            ["ann@example.com,Ann,boss@example.com,UTC,,,weekly,,surplus"],
            "line 3, row: more fields than the 8 columns of the header",
        ),
    ],
)
def test_each_error_names_its_line_and_field(
    ctx: AppContext, tmp_path: Path, rows: list[str], expected: str
) -> None:
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, GOOD_MANAGER, *rows)
    problems = problems_of(ctx, path)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_header_problems(ctx: AppContext, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", "email,name,tz,colour", "a@example.com,A,UTC,red")
    problems = problems_of(ctx, path)
    assert "line 1, timezone: required column is missing" in problems
    assert any(
        problem.startswith("line 1, tz: unknown column; allowed: email, name")
        for problem in problems
    )


def test_a_quoted_field_spanning_lines_keeps_line_numbers_true(
    ctx: AppContext, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "people.csv",
        PEOPLE_HEADER,
        GOOD_MANAGER,
        '"a@example.com","Ann\nMultiline",boss@example.com,UTC,,,weekly,',
        "b@example.com,Bea,boss@example.com,Nowhere/Zone,,,weekly,",
    )
    assert any(problem.startswith("line 5, timezone") for problem in problems_of(ctx, path))


def test_all_or_nothing_a_bad_row_imports_nothing(ctx: AppContext, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "people.csv",
        PEOPLE_HEADER,
        GOOD_MANAGER,
        "ann@example.com,Ann,boss@example.com,UTC,,,weekly,",
        "bob@example.com,Bob,boss@example.com,Bad/Zone,,,weekly,",
    )
    problems_of(ctx, path)
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0


def test_every_problem_is_reported_at_once(ctx: AppContext, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "people.csv",
        PEOPLE_HEADER,
        GOOD_MANAGER,
        "ann@example.com,Ann,boss@example.com,Bad/Zone,,,weekly,",
        "bob@example.com,Bob,boss@example.com,UTC,,,yearly,",
    )
    problems = problems_of(ctx, path)
    assert [problem.split(",")[0] for problem in problems] == ["line 3", "line 4"]


ALIASES_HEADER = f"{PEOPLE_HEADER},aliases"
MANAGER_WITH_ALIASES = f"{GOOD_MANAGER},"


def aliases_of(ctx: AppContext) -> dict[str, list[str]]:
    with ctx.sessions() as session:
        return {person.email: person.aliases for person in session.scalars(select(Person))}


def test_aliases_are_imported_replaced_and_kept_when_the_column_is_absent(
    ctx: AppContext, tmp_path: Path
) -> None:
    ann = "ann@example.com,Ann,boss@example.com,UTC,,,weekly,"
    first = write_csv(
        tmp_path / "first.csv",
        ALIASES_HEADER,
        MANAGER_WITH_ALIASES,
        f'{ann},"Ann.Lee@Gmail.com; ann@old.example.com ann@old.example.com"',
    )
    assert run_import(ctx, first).created == 2
    assert aliases_of(ctx)["ann@example.com"] == ["ann.lee@gmail.com", "ann@old.example.com"]
    assert not run_import(ctx, first).changed
    # A file without the column leaves the aliases alone...
    run_import(ctx, write_csv(tmp_path / "plain.csv", PEOPLE_HEADER, GOOD_MANAGER, ann))
    assert aliases_of(ctx)["ann@example.com"] == ["ann.lee@gmail.com", "ann@old.example.com"]
    # ...and one with it is the truth, an empty cell included.
    second = write_csv(
        tmp_path / "second.csv", ALIASES_HEADER, MANAGER_WITH_ALIASES, f"{ann},ann@new.example.com"
    )
    assert run_import(ctx, second).updated == 1
    assert aliases_of(ctx)["ann@example.com"] == ["ann@new.example.com"]
    run_import(
        ctx, write_csv(tmp_path / "none.csv", ALIASES_HEADER, MANAGER_WITH_ALIASES, f"{ann},")
    )
    assert aliases_of(ctx)["ann@example.com"] == []


@pytest.mark.parametrize(
    ("aliases", "expected"),
    [
        ("ann-at-home", "line 3, aliases: 'ann-at-home' is not an email address"),
        ("ANN+okr@example.com", "line 3, aliases: 'ann+okr@example.com' is the person's own email"),
        (
            "boss@example.com",
            "line 3, aliases: 'boss@example.com' is the email of boss@example.com (line 2)",
        ),
        # Without its +tag the address is the manager's: he could answer in Ann's name.
        (
            "boss+ann@example.com",
            "line 3, aliases: 'boss+ann@example.com' is the email of boss@example.com",
        ),
    ],
)
def test_an_alias_that_is_not_the_persons_own_is_refused_by_line(
    ctx: AppContext, tmp_path: Path, aliases: str, expected: str
) -> None:
    path = write_csv(
        tmp_path / "people.csv",
        ALIASES_HEADER,
        MANAGER_WITH_ALIASES,
        f"ann@example.com,Ann,boss@example.com,UTC,,,weekly,,{aliases}",
    )
    problems = problems_of(ctx, path)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_one_alias_for_two_people_is_refused_on_the_second(ctx: AppContext, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "people.csv",
        ALIASES_HEADER,
        MANAGER_WITH_ALIASES,
        "ann@example.com,Ann,boss@example.com,UTC,,,weekly,,shared@example.com",
        "bob@example.com,Bob,boss@example.com,UTC,,,weekly,,Shared@example.com",
    )
    assert problems_of(ctx, path) == [
        "line 4, aliases: 'shared@example.com' is an alias of ann@example.com (line 3)"
    ]


def test_a_stored_alias_kept_by_a_file_without_the_column_is_checked_too(
    ctx: AppContext, tmp_path: Path
) -> None:
    ann = "ann@example.com,Ann,boss@example.com,UTC,,,weekly,"
    run_import(
        ctx,
        write_csv(
            tmp_path / "a.csv", ALIASES_HEADER, MANAGER_WITH_ALIASES, f"{ann},bob@example.com"
        ),
    )
    # Bob joins through a file without the column: Ann's stored alias is his address.
    bob = "bob@example.com,Bob,boss@example.com,UTC,,,weekly,"
    path = write_csv(tmp_path / "b.csv", PEOPLE_HEADER, GOOD_MANAGER, ann, bob)
    assert problems_of(ctx, path) == [
        "line 3, aliases: 'bob@example.com' (stored before; this file has no aliases column)"
        " is the email of bob@example.com (line 4)"
    ]
