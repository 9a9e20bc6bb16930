"""The data model: the vocabulary of DESIGN.md as SQLAlchemy 2 typed ORM classes."""

from okrmail.models.accounts import CalendarAccount, CalendarSyncState
from okrmail.models.base import Base, UTCDateTime
from okrmail.models.calendar import LocalCalendarEvent, Meeting, Series
from okrmail.models.followup import Chase, Digest
from okrmail.models.inbound import CheckIn, CheckInAnswer, CheckInReading, InboxMessage
from okrmail.models.mail import OutboxMessage, Prompt
from okrmail.models.people import KeyResult, Objective, Pairing, Person
from okrmail.models.periodic import PeriodicTask

__all__ = [
    "Base",
    "CalendarAccount",
    "CalendarSyncState",
    "Chase",
    "CheckIn",
    "CheckInAnswer",
    "CheckInReading",
    "Digest",
    "InboxMessage",
    "KeyResult",
    "LocalCalendarEvent",
    "Meeting",
    "Objective",
    "OutboxMessage",
    "Pairing",
    "PeriodicTask",
    "Person",
    "Prompt",
    "Series",
    "UTCDateTime",
]
