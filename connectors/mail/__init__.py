"""Mail providers: outbound senders (smtp, maildir) behind one Protocol and a registry."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

from connectors.errors import ConnectorError
from connectors.registry import Registry

mail_senders = Registry("outbound mail")


class MailSender(Protocol):
    name: str

    def send(self, message: EmailMessage) -> None:
        """Deliver one message (to its To/Cc); raise ConnectorError on failure."""
        ...

    def close(self) -> None:
        """Release any connection kept open across a batch."""
        ...


@dataclass(frozen=True)
class SenderDeps:
    config: Any


def build_mail_sender(name: str, config: Any) -> MailSender:
    return mail_senders.get(name)(SenderDeps(config))


from connectors.mail import maildir as _maildir  # noqa: E402,F401
from connectors.mail import smtp as _smtp  # noqa: E402,F401

__all__ = ["ConnectorError", "MailSender", "SenderDeps", "build_mail_sender", "mail_senders"]
