"""The embedded `maildir` sender: every message lands in a local Maildir.

Any mail client (mutt -f, Thunderbird, Evolution) can open the folder, which makes the
embedded setup and the demo show real, complete emails without a mail server.
"""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from connectors.errors import ConnectorError
from connectors.mail import SenderDeps, mail_senders


@dataclass(frozen=True)
class MaildirConfig:
    path: Path


@mail_senders.register("maildir")
class MaildirSender:
    name = "maildir"

    def __init__(self, deps: SenderDeps) -> None:
        self.path = Path(deps.config.path)

    def send(self, message: EmailMessage) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)  # Maildir makes one level only
            box = mailbox.Maildir(self.path, create=True)
            box.add(message.as_bytes())
        except OSError as error:
            raise ConnectorError(f"cannot write to Maildir {self.path}: {error}") from error

    def close(self) -> None:
        return None
