"""Confirmations are recorded a batch at a time, and one that cannot be built neither
stops the others nor is lost: it stays due, is logged, and goes out on the next run."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select, update

from okrmail.app import AppContext
from okrmail.inbound import confirmation
from okrmail.inbound.confirmation import send_confirmations
from okrmail.inbound.ingest import Incoming, ingest_batch
from okrmail.models import CheckIn, OutboxMessage
from tests.inbound.conftest import LENA, reply, send_prompt

TOM = "tom.hughes@example.com"
ANSWER = "1. KR1 40\n2. Nothing blocks me.\n"


def checkins(ctx: AppContext) -> dict[int, CheckIn]:
    """Check-ins by prompt id, as the database has them now."""
    with ctx.sessions() as session:
        found = {row.prompt_id: row for row in session.scalars(select(CheckIn))}
        session.expunge_all()
        return found


def confirmed_prompts(ctx: AppContext) -> list[int]:
    with ctx.sessions() as session:
        return list(
            session.scalars(
                select(OutboxMessage.prompt_id)
                .where(OutboxMessage.kind == "confirmation")
                .order_by(OutboxMessage.id)
            )
        )


@pytest.fixture
def two_checkins(org: AppContext) -> tuple[int, int]:
    """Lena's and Tom's replies merged into check-ins, their confirmations not yet sent."""
    org.settings.app.data_dir.mkdir(parents=True, exist_ok=True)
    lena, tom = send_prompt(org, LENA), send_prompt(org, TOM)
    raws = [reply(lena, ANSWER), reply(tom, ANSWER)]
    ingest_batch(org, [Incoming(raw, "stdin") for raw in raws], follow_up=False)
    merged = checkins(org)
    assert len(merged) == 2 and all(row.confirmation_due for row in merged.values())
    return lena.id, tom.id


def test_one_failing_confirmation_does_not_stop_the_others_and_stays_due(
    org: AppContext,
    two_checkins: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lena_prompt, tom_prompt = two_checkins
    by_prompt = checkins(org)
    broken = by_prompt[lena_prompt].id
    real = confirmation.confirmation_context

    def failing(ctx: AppContext, due: Any) -> dict[str, Any]:
        if due.checkin.id == broken:
            raise RuntimeError("template data went wrong")
        return real(ctx, due)

    monkeypatch.setattr(confirmation, "confirmation_context", failing)
    with caplog.at_level(logging.INFO, logger=confirmation.__name__):
        recorded = send_confirmations(org, [row.id for row in by_prompt.values()])

    assert len(recorded) == 1 and confirmed_prompts(org) == [tom_prompt]
    after = checkins(org)
    assert after[lena_prompt].confirmation_due and after[lena_prompt].confirmed_revision == 0
    assert not after[tom_prompt].confirmation_due and after[tom_prompt].confirmed_revision == 1
    failure = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"check-in #{broken}" in failure[0].getMessage() and failure[0].exc_info

    monkeypatch.setattr(confirmation, "confirmation_context", real)
    assert len(send_confirmations(org)) == 1  # the next run sends it
    assert confirmed_prompts(org) == [tom_prompt, lena_prompt]
    assert not any(row.confirmation_due for row in checkins(org).values())


def test_a_checkin_claimed_elsewhere_is_skipped_and_a_retry_records_nothing_twice(
    org: AppContext, two_checkins: tuple[int, int]
) -> None:
    lena_prompt, tom_prompt = two_checkins
    ids = {prompt: row.id for prompt, row in checkins(org).items()}
    with org.transaction() as session:  # another worker has claimed Lena's
        session.execute(
            update(CheckIn).where(CheckIn.id == ids[lena_prompt]).values(confirmation_due=False)
        )

    assert len(send_confirmations(org, [ids[lena_prompt], ids[tom_prompt]])) == 1
    assert confirmed_prompts(org) == [tom_prompt]

    with org.transaction() as session:  # a retried job finds Tom's due again: same revision
        session.execute(
            update(CheckIn).where(CheckIn.id == ids[tom_prompt]).values(confirmation_due=True)
        )
    assert send_confirmations(org, [ids[tom_prompt], ids[tom_prompt]]) == []
    assert confirmed_prompts(org) == [tom_prompt]
    assert not checkins(org)[tom_prompt].confirmation_due
