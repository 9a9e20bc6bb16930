"""What assessing a reply looks up: prompts by reply token or by the Message-IDs a reply
references, and the key results each prompt showed.

A fetch hands ingest a batch of replies; `preload` answers every lookup of the batch in a
handful of queries, so assessing each message is then pure Python (per-message queries
used to cost more than reading the message). A lookup that was not preloaded, as for
the one message of `okrmail mail explain`, queries on demand. Either way the answers are
cached for the life of the Directory: one session, one batch.

The answers are plain records (`PromptInfo`, `PersonInfo`, `KeyResultInfo`), not ORM
objects: a reply only reads a few columns of each, and building the ORM objects cost
more than the queries (the check-in merge writes with Core statements anyway). The rare
paths that change a prompt or a person (bounces, out-of-office) load the ORM row by id.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.message import Message
from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from okrmail.inbound import headers
from okrmail.inbound.routing import tokens_in
from okrmail.models import KeyResult, Meeting, OutboxMessage, Pairing, Person, Prompt, Series
from okrmail.prompting import current_key_result_rows, current_key_results_statement


@dataclass(slots=True)
class PersonInfo:
    """Whom a prompt went to, as the defences and the confirmation read it."""

    id: int
    email: str
    name: str
    timezone: str
    aliases: list[str]


@dataclass(slots=True)
class PromptInfo:
    """A prompt as routing, the defences and the check-in merge read it. `status` is kept
    up to date by the merge (a later reply in the batch sees the prompt answered)."""

    id: int
    token: str
    role: str
    status: str
    question_set: str
    send_at: datetime
    sent_at: datetime | None
    person_id: int
    meeting_id: int
    meeting_start: datetime
    person: PersonInfo


@dataclass(slots=True)
class KeyResultInfo:
    """A key result as a prompt showed it; current_value, confidence and updated_at are
    kept up to date by the merge (a later reply in the batch reads what an earlier set)."""

    id: int
    title: str
    start_value: Decimal
    target_value: Decimal
    unit: str
    current_value: Decimal | None
    confidence: int | None
    updated_at: datetime | None
    updated_for: datetime | None


@dataclass(frozen=True)
class SentInfo:
    """An email we sent, as a reply to it is explained."""

    kind: str  # the Outbox kind: digest, chase_manager_note, account_broken, ...
    recipient: str
    created_at: datetime


_CHUNK = 500  # ids per IN (...) list
_PROMPTS_TABLE: Table = Prompt.__table__  # type: ignore[assignment]
_PEOPLE: Table = Person.__table__  # type: ignore[assignment]
_MEETINGS: Table = Meeting.__table__  # type: ignore[assignment]
_KEY_RESULTS: Table = KeyResult.__table__  # type: ignore[assignment]
_PERSON_COLUMNS = [_PEOPLE.c[name] for name in PersonInfo.__slots__]  # type: ignore[attr-defined]
_PROMPT_COLUMNS = [
    _PROMPTS_TABLE.c[name]
    for name in PromptInfo.__slots__  # type: ignore[attr-defined]
    if name not in ("meeting_start", "person")
]
_SERIES: Table = Series.__table__  # type: ignore[assignment]
_PAIRINGS: Table = Pairing.__table__  # type: ignore[assignment]
# Built once (building a statement costs more than running it on a batch). Prompts come
# with what the defences and the check-in read next, in the same round trip; that includes
# the report of the pairing, whose key results a manager's prompt showed (see `_remember`).
_PROMPTS = (
    select(*_PROMPT_COLUMNS, _MEETINGS.c.start, *_PERSON_COLUMNS, _PAIRINGS.c.report_id)
    .join(_MEETINGS, _PROMPTS_TABLE.c.meeting_id == _MEETINGS.c.id)
    .join(_PEOPLE, _PROMPTS_TABLE.c.person_id == _PEOPLE.c.id)
    .outerjoin(_SERIES, _MEETINGS.c.series_id == _SERIES.c.id)
    .outerjoin(_PAIRINGS, _SERIES.c.pairing_id == _PAIRINGS.c.id)
)
_PROMPTS_BY_TOKEN = _PROMPTS.where(_PROMPTS_TABLE.c.token.in_(bindparam("tokens", expanding=True)))
_PROMPTS_BY_ID = _PROMPTS.where(_PROMPTS_TABLE.c.id.in_(bindparam("ids", expanding=True)))
_SENT_BY_MESSAGE_ID = select(OutboxMessage.message_id, OutboxMessage.prompt_id).where(
    OutboxMessage.message_id.in_(bindparam("ids", expanding=True)),
    OutboxMessage.prompt_id.is_not(None),
)
_SENT_WITHOUT_PROMPT = select(
    OutboxMessage.message_id, OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.created_at
).where(
    OutboxMessage.message_id.in_(bindparam("ids", expanding=True)),
    OutboxMessage.prompt_id.is_(None),
)
_CURRENT_KEY_RESULTS = current_key_results_statement(
    *(_KEY_RESULTS.c[name] for name in KeyResultInfo.__slots__)  # type: ignore[attr-defined]
)


def _prompt_info(row: Sequence[Any]) -> tuple[PromptInfo, int | None]:
    """The prompt of a `_PROMPTS` row, and the report of its pairing."""
    prompt_width = len(_PROMPT_COLUMNS)
    person = PersonInfo(*row[prompt_width + 1 : -1])
    person.aliases = list(person.aliases or [])
    return PromptInfo(*row[:prompt_width], row[prompt_width], person), row[-1]


class Directory:
    def __init__(self, session: Session, reply_address: str) -> None:
        self.session = session
        self.reply_address = reply_address
        self._by_token: dict[str, PromptInfo | None] = {}
        self._by_reference: dict[str, int | None] = {}  # Message-ID -> prompt id
        self._prompts: dict[int, PromptInfo] = {}
        self._owners: dict[int, int] = {}  # prompt id -> whose key results it showed
        self._key_results: dict[int, list[KeyResultInfo]] = {}  # person id -> numbered KRs

    def preload(self, messages: Iterable[Message]) -> None:
        """Look up, in one go, everything assessing these messages will ask for."""
        tokens: set[str] = set()
        references: set[str] = set()
        for message in messages:
            found = tokens_in(message, self.reply_address)
            if found:
                tokens.update(token for token, _ in found)
            else:  # routing falls back to references only without a token
                references.update(headers.referenced_ids(message))
        self.prompts_by_token(tokens)
        self._load_references(references)
        self._load_key_results(list(self._prompts.values()))

    # -- prompts ------------------------------------------------------------------------

    def prompts_by_token(self, tokens: Collection[str]) -> dict[str, PromptInfo]:
        """The prompts carrying these reply tokens (tokens of no prompt are left out)."""
        missing = sorted(token for token in tokens if token not in self._by_token)
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            for row in self.session.execute(_PROMPTS_BY_TOKEN, {"tokens": chunk}):
                self._remember(*_prompt_info(row))
            for token in chunk:
                self._by_token.setdefault(token, None)
        return {token: prompt for token in tokens if (prompt := self._by_token.get(token))}

    def prompt_by_references(self, references: Sequence[str]) -> tuple[PromptInfo | None, str]:
        """The prompt of the nearest referenced message we sent, and that Message-ID."""
        self._load_references(references)
        for reference in references:  # nearest first: In-Reply-To, then newest References
            prompt_id = self._by_reference.get(reference)
            if prompt_id is not None:
                return self._prompt(prompt_id), reference
        return None, ""

    def sent_without_prompt(self, references: Sequence[str]) -> SentInfo | None:
        """The nearest referenced message we sent that belongs to no prompt (a digest, a
        note to a manager, an admin alert), if any. Asked only of mail that routed nowhere,
        so it is not preloaded."""
        rows = self.session.execute(_SENT_WITHOUT_PROMPT, {"ids": list(references)})
        found = {row.message_id: SentInfo(*row[1:]) for row in rows}
        return next((found[ref] for ref in references if ref in found), None)

    def _load_references(self, references: Iterable[str]) -> None:
        missing = sorted({ref for ref in references if ref not in self._by_reference})
        prompt_ids: set[int] = set()
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            rows = self.session.execute(_SENT_BY_MESSAGE_ID, {"ids": chunk})
            for message_id, prompt_id in rows:
                self._by_reference[message_id] = prompt_id
                prompt_ids.add(prompt_id)
            for reference in chunk:
                self._by_reference.setdefault(reference, None)
        self._load_prompts(prompt_ids)

    def _prompt(self, prompt_id: int) -> PromptInfo:
        self._load_prompts([prompt_id])
        return self._prompts[prompt_id]

    def _load_prompts(self, prompt_ids: Iterable[int]) -> None:
        missing = sorted(set(prompt_ids) - self._prompts.keys())
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            for row in self.session.execute(_PROMPTS_BY_ID, {"ids": chunk}):
                self._remember(*_prompt_info(row))

    def _remember(self, prompt: PromptInfo, report_id: int | None) -> None:
        self._prompts[prompt.id] = prompt
        self._by_token[prompt.token] = prompt
        # A manager's prompt shows their report's key results: whose, via the pairing.
        owner = prompt.person_id if prompt.role == "report" else report_id
        if owner is not None:
            self._owners[prompt.id] = owner

    # -- key results --------------------------------------------------------------------

    def key_results(self, prompt: PromptInfo) -> list[KeyResultInfo]:
        """The key results the prompt showed, numbered as it showed them (KR1 = index 0)."""
        self._load_key_results([prompt])
        return self._key_results.get(self._owners[prompt.id], [])

    def _load_key_results(self, prompts: Sequence[PromptInfo]) -> None:
        owners = {self._owners[prompt.id] for prompt in prompts} - self._key_results.keys()
        if not owners:
            return
        found = current_key_result_rows(self.session, _CURRENT_KEY_RESULTS, owners)
        for owner in owners:
            self._key_results[owner] = [KeyResultInfo(*row[:-2]) for row in found.get(owner, [])]
