"""`okrmail worker`: a real rq worker process, forking a work horse per job, on Redis."""

import mailbox
import os
import subprocess
import sys
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from okrmail.app import AppContext
from okrmail.db import upgrade
from okrmail.models import InboxMessage
from okrmail.settings import load_settings
from okrmail.tick import tick
from workers.dispatch import RqDispatcher

PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.redis
def test_the_worker_command_runs_what_the_tick_queued(redis_url: str, tmp_path: Path) -> None:
    queue_name = f"okrmail-test-{uuid.uuid4().hex[:8]}"
    environ = {
        "OKRMAIL_APP__DATA_DIR": str(tmp_path / "data"),
        "OKRMAIL_JOBS__DISPATCHER": "rq",
        "OKRMAIL_JOBS__REDIS_URL": redis_url,
        "OKRMAIL_JOBS__QUEUE": queue_name,
    }
    settings = load_settings(environ=environ)
    upgrade(settings.database_url)
    ctx = AppContext(settings)
    # A reply with a token no prompt has: the job that fetches it must quarantine it.
    stray = EmailMessage()
    stray["From"] = "someone@example.com"
    stray["To"] = settings.mail.reply_address.format(token="forgedtoken1234")
    stray["Subject"] = "Re: check-in"
    stray["Message-ID"] = make_msgid(domain="example.com")
    stray.set_content("1. Shipped the importer\n")
    inbox = mailbox.Maildir(settings.data_path(settings.inbound.maildir), create=True)
    inbox.add(stray)
    connection = Redis.from_url(redis_url)
    try:
        report = tick(ctx, RqDispatcher(redis_url, queue_name))
        assert report.dispatched.get("fetch_mail") == 1
        assert Queue(queue_name, connection=connection).count >= 1
        finished = subprocess.run(
            [str(Path(sys.executable).parent / "okrmail"), "worker", "--burst"],
            cwd=PROJECT,
            # Only this test's settings: none of the developer's own OKRMAIL_* ones.
            env={
                **{
                    name: value
                    for name, value in os.environ.items()
                    if not name.startswith("OKRMAIL_")
                },
                **environ,
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert finished.returncode == 0, finished.stderr
        assert Queue(queue_name, connection=connection).count == 0
    finally:
        Queue(queue_name, connection=connection).delete(delete_jobs=True)
    with ctx.sessions() as session:
        rows = session.scalars(select(InboxMessage)).all()
    assert [(row.message_id, row.status) for row in rows] == [
        (str(stray["Message-ID"]), "quarantined")
    ]
    assert rows[0].reason and "token" in rows[0].reason
    assert ctx.engine is not None
    ctx.engine.dispose()
