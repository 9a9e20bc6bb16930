"""Assess one message without writing anything: what it is, where it goes, what it says.

`assess` is the whole decision of the ingest pipeline (ingest.py then records it), and
`okrmail mail explain` shows it as is. Order matters: a loop or a DMARC failure stops
everything; bounces and robots never reach the answer parser; a reply must route to a
prompt, come from its recipient, and answer a prompt that is recent enough.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import Message

from sqlalchemy import select
from sqlalchemy.orm import Session

from okrmail.addresses import normalise, written_forms
from okrmail.inbound import defences, headers
from okrmail.inbound.checkins import key_result_refs
from okrmail.inbound.classify import Classification, classify
from okrmail.inbound.directory import Directory, KeyResultInfo, PersonInfo, PromptInfo
from okrmail.inbound.routing import Route, route
from okrmail.models import Person
from okrmail.questions import question_sets
from okrmail.replies.absence import says_away
from okrmail.replies.answers import ParsedReply, parse_reply
from okrmail.replies.body import ReplyBody, extract_body, parse_message
from okrmail.replies.courtesy import acknowledges_only, promises_later, without_courtesies
from okrmail.settings import Settings


@dataclass
class Assessment:
    """The verdict on one message: the status to store and the reason, plus what led there."""

    message: Message
    body: ReplyBody
    text: str  # the body text as stored (database-safe); spans are offsets into it
    sender: str
    classification: Classification
    status: str = "received"
    reason: str | None = None
    route: Route | None = None
    # Who it came from: for a reply, its prompt's recipient as looked up; for a robot, the
    # ORM row (an out-of-office marks that person away).
    person: PersonInfo | Person | None = None
    # Routed to a prompt, but sent from an address its recipient is not known by.
    wrong_sender: bool = False
    # Routed to a prompt, from its recipient, but one sent too long ago to be recorded.
    too_old: bool = False
    parsed: ParsedReply | None = None
    key_results: list[KeyResultInfo] = field(default_factory=list)

    @property
    def prompt(self) -> PromptInfo | None:
        return self.route.prompt if self.route else None

    def verdict(self, status: str, reason: str | None = None) -> Assessment:
        self.status, self.reason = status, reason
        return self


def read(raw: bytes, message: Message | None = None) -> tuple[Message, ReplyBody]:
    """Parse (unless `message` is `raw` parsed already) and extract the body; both steps
    never raise."""
    message = parse_message(raw) if message is None else message
    return message, extract_body(message)


def classify_raw(
    raw: bytes, message: Message | None = None
) -> tuple[Classification, Message, ReplyBody]:
    message, body = read(raw, message)
    return classify(raw, message, body.text), message, body


def first_look(raw: bytes, message: Message | None = None) -> Assessment:
    """What can be told from the message alone, before any lookup: its kind and text."""
    classification, message, body = classify_raw(raw, message)
    return Assessment(
        message, body, headers.clean(body.text), headers.sender(message), classification
    )


def assess(directory: Directory, raw: bytes, settings: Settings, now: datetime) -> Assessment:
    """Decide what `raw` is and where it belongs, reading the database only."""
    return decide(directory, first_look(raw), settings, now)


def decide(
    directory: Directory, found: Assessment, settings: Settings, now: datetime
) -> Assessment:
    """The verdict on a message `first_look` has read."""
    message, classification = found.message, found.classification
    stop = defences.is_loop(found.sender, settings) or defences.dmarc_failed(
        message, settings.inbound.trusted_authserv_id, found.sender
    )
    if stop:
        return found.verdict("quarantined", stop)
    if classification.kind == "bounce":
        return found.verdict("bounce", classification.why)
    found.route = route(directory, message)
    if classification.kind == "auto-reply":
        found.person = _robot_owner(directory.session, found)
        return found.verdict("auto-reply", classification.why)
    return _reply(directory, found, settings, now)


def _reply(
    directory: Directory, found: Assessment, settings: Settings, now: datetime
) -> Assessment:
    prompt = found.prompt
    if prompt is None:
        assert found.route is not None
        return found.verdict("quarantined", found.route.problem)
    found.person = prompt.person
    stop = defences.wrong_sender(found.sender, prompt.person)
    found.wrong_sender = stop is not None
    stop = stop or defences.several_senders(found.message)
    stop = stop or defences.prompt_never_sent(prompt)
    if not stop:
        stop = defences.prompt_too_old(prompt, now, settings.inbound.max_prompt_age_days)
        found.too_old = stop is not None
    if stop:
        return found.verdict("quarantined", stop)
    found.key_results = directory.key_results(prompt)
    questions = question_sets(settings.templates_path)[prompt.question_set].for_role(prompt.role)
    found.parsed = parse_reply(found.text, questions, key_result_refs(found.key_results))
    if says_nothing(found.parsed):
        return found.verdict("ignored", "empty reply: nothing written besides the quoted email")
    if only_thanks(found.parsed):
        # Thanks for a confirmation: another confirmation would answer it with the same
        # email again.
        return found.verdict("ignored", "nothing to record: only thanks or an acknowledgement")
    if only_says_away(found.parsed):
        # No answers to come: reminders would pester someone on holiday (ingest marks
        # them away and tells their manager).
        return found.verdict("away", "no answers: says they are away")
    if only_a_promise(found.parsed):
        # Recorded as a check-in it would count as answered: no reminder would follow, and
        # the manager's digest would show an empty check-in.
        return found.verdict(
            "ignored",
            "no answers yet: only says they will answer later (the check-in stays open, "
            "reminders go on)",
        )
    return found.verdict("checkin")


def only_says_away(parsed: ParsedReply) -> bool:
    """Whether the reply's only words are a note that its writer is away ("I'm on holiday
    this week, can we skip this one?")."""
    return _only_a_note(parsed) and says_away(without_courtesies(parsed.notes))


def only_a_promise(parsed: ParsedReply) -> bool:
    """Whether the reply's only words are a note that promises answers later."""
    return _only_a_note(parsed) and promises_later(parsed.notes)


def only_thanks(parsed: ParsedReply) -> bool:
    """Whether the reply's only words are a note that thanks or says all is right."""
    return _only_a_note(parsed) and acknowledges_only(parsed.notes)


def _only_a_note(parsed: ParsedReply) -> bool:
    """Whether the reply answers no question and gives no reading: all it says is a note."""
    return not parsed.answers and says_nothing(replace(parsed, notes=""))


def says_nothing(parsed: ParsedReply) -> bool:
    return not (
        parsed.answers
        or parsed.notes.strip()
        or parsed.progress
        or parsed.confidence
        or parsed.blockers
        or parsed.help_requests
        or parsed.wins
    )


def _robot_owner(session: Session, found: Assessment) -> Person | None:
    """Whose auto-reply this is: the routed prompt's person if they sent it, else whoever
    owns the sender address (an out-of-office often drops the reply token)."""
    prompt = found.prompt
    if prompt is not None and defences.wrong_sender(found.sender, prompt.person) is None:
        return session.get(Person, prompt.person_id)
    return person_by_address(session, found.sender)


def person_by_address(session: Session, address: str) -> Person | None:
    """The active person with this address as email or alias (+tags ignored)."""
    if not address:
        return None
    wanted = normalise(address)
    person = session.scalar(select(Person).where(Person.email.in_(written_forms(address))))
    if person is not None:
        return person
    # Aliases live in a JSON list; this path (robots, bounces) is rare enough to scan.
    for candidate in session.scalars(select(Person).where(Person.active)):
        if wanted in {normalise(alias) for alias in candidate.aliases or []}:
            return candidate
    return None
