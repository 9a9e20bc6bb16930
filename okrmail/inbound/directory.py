"""What assessing a reply looks up: prompts by reply token or by the Message-IDs a reply
references, and the key results each prompt showed.

A fetch hands ingest a batch of replies; `preload` answers every lookup of the batch in a
handful of queries, so assessing each message is then pure Python (per-message queries
used to cost more than reading the message). A lookup that was not preloaded, as for
the one message of `okrmail mail explain`, queries on demand. Either way the answers are
cached for the life of the Directory: one session, one batch.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from email.message import Message

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from okrmail.inbound import headers
from okrmail.inbound.routing import tokens_in
from okrmail.models import KeyResult, Meeting, OutboxMessage, Pairing, Prompt, Series
from okrmail.prompting import current_key_results_of

_CHUNK = 500  # ids per IN (...) list
# Built once: an ORM query with its loader options costs more to build than to run.
# Prompts come with what the defences and the check-in read next, in the same round trip.
_PROMPTS = select(Prompt).options(joinedload(Prompt.person), joinedload(Prompt.meeting))
_PROMPTS_BY_TOKEN = _PROMPTS.where(Prompt.token.in_(bindparam("tokens", expanding=True)))
_PROMPTS_BY_ID = _PROMPTS.where(Prompt.id.in_(bindparam("ids", expanding=True)))
_SENT_BY_MESSAGE_ID = select(OutboxMessage.message_id, OutboxMessage.prompt_id).where(
    OutboxMessage.message_id.in_(bindparam("ids", expanding=True)),
    OutboxMessage.prompt_id.is_not(None),
)
_OWNERS = (
    select(Prompt.id, Pairing.report_id)
    .join(Meeting, Prompt.meeting_id == Meeting.id)
    .join(Series, Meeting.series_id == Series.id)
    .join(Pairing, Series.pairing_id == Pairing.id)
    .where(Prompt.id.in_(bindparam("ids", expanding=True)))
)


class Directory:
    def __init__(self, session: Session, reply_address: str) -> None:
        self.session = session
        self.reply_address = reply_address
        self._by_token: dict[str, Prompt | None] = {}
        self._by_reference: dict[str, int | None] = {}  # Message-ID -> prompt id
        self._prompts: dict[int, Prompt] = {}
        self._owners: dict[int, int] = {}  # prompt id -> whose key results it showed
        self._key_results: dict[int, list[KeyResult]] = {}  # person id -> numbered KRs

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

    def prompts_by_token(self, tokens: Collection[str]) -> dict[str, Prompt]:
        """The prompts carrying these reply tokens (tokens of no prompt are left out)."""
        missing = sorted(token for token in tokens if token not in self._by_token)
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            found = self.session.scalars(_PROMPTS_BY_TOKEN, {"tokens": chunk})
            for prompt in found:
                self._remember(prompt)
            for token in chunk:
                self._by_token.setdefault(token, None)
        return {token: prompt for token in tokens if (prompt := self._by_token.get(token))}

    def prompt_by_references(self, references: Sequence[str]) -> tuple[Prompt | None, str]:
        """The prompt of the nearest referenced message we sent, and that Message-ID."""
        self._load_references(references)
        for reference in references:  # nearest first: In-Reply-To, then newest References
            prompt_id = self._by_reference.get(reference)
            if prompt_id is not None:
                return self._prompt(prompt_id), reference
        return None, ""

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

    def _prompt(self, prompt_id: int) -> Prompt:
        self._load_prompts([prompt_id])
        return self._prompts[prompt_id]

    def _load_prompts(self, prompt_ids: Iterable[int]) -> None:
        missing = sorted(set(prompt_ids) - self._prompts.keys())
        for start in range(0, len(missing), _CHUNK):
            found = self.session.scalars(_PROMPTS_BY_ID, {"ids": missing[start : start + _CHUNK]})
            for prompt in found:
                self._remember(prompt)

    def _remember(self, prompt: Prompt) -> None:
        self._prompts[prompt.id] = prompt
        self._by_token[prompt.token] = prompt
        if prompt.role == "report":
            self._owners[prompt.id] = prompt.person_id

    # -- key results --------------------------------------------------------------------

    def key_results(self, prompt: Prompt) -> list[KeyResult]:
        """The key results the prompt showed, numbered as it showed them (KR1 = index 0)."""
        self._load_key_results([prompt])
        return self._key_results.get(self._owners[prompt.id], [])

    def _load_key_results(self, prompts: Sequence[Prompt]) -> None:
        self._load_owners([prompt.id for prompt in prompts if prompt.id not in self._owners])
        owners = {self._owners[prompt.id] for prompt in prompts} - self._key_results.keys()
        if not owners:
            return
        found = current_key_results_of(self.session, owners)
        for owner in owners:
            self._key_results[owner] = [result for result, _ in found.get(owner, [])]

    def _load_owners(self, prompt_ids: Sequence[int]) -> None:
        """A manager's prompt shows their report's key results: whose, via the pairing."""
        for start in range(0, len(prompt_ids), _CHUNK):
            rows = self.session.execute(_OWNERS, {"ids": prompt_ids[start : start + _CHUNK]})
            self._owners.update({prompt_id: report_id for prompt_id, report_id in rows})


def by_references(session: Session, references: Sequence[str]) -> tuple[Prompt | None, str]:
    """The prompt of the nearest referenced message we sent (a bounce's original)."""
    return Directory(session, "").prompt_by_references(references)
