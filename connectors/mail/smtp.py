"""The `smtp` sender: TLS or STARTTLS, optional auth, one connection reused across a batch."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from connectors.errors import ConnectorError
from connectors.mail import SenderDeps, mail_senders


@mail_senders.register("smtp")
class SmtpSender:
    """Keeps one SMTP session open until close(); reconnects once if the server hung up."""

    name = "smtp"

    def __init__(self, deps: SenderDeps, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config: Any = deps.config
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._connection: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        try:
            try:
                self._connect().send_message(message)
            except smtplib.SMTPServerDisconnected:
                self._connection = None
                self._connect().send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise ConnectorError(
                f"recipient refused: {error.recipients}", permanent=True
            ) from error
        except smtplib.SMTPAuthenticationError as error:
            self.close()
            raise ConnectorError(
                f"SMTP login failed ({error.smtp_code})", permanent=True
            ) from error
        except smtplib.SMTPResponseException as error:
            self.close()
            permanent = 500 <= error.smtp_code < 600
            text = error.smtp_error.decode("utf-8", "replace") if error.smtp_error else ""
            raise ConnectorError(f"SMTP {error.smtp_code}: {text}", permanent=permanent) from error
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise ConnectorError(f"SMTP {self.config.host}:{self.config.port}: {error}") from error

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        config = self.config
        timeout = config.timeout_seconds
        if config.security == "tls":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=timeout, context=self._ssl_context
            )
        else:
            connection = smtplib.SMTP(config.host, config.port, timeout=timeout)
            if config.security == "starttls":
                connection.starttls(context=self._ssl_context)
        if config.username:
            connection.login(config.username, config.password)
        self._connection = connection
        return connection

    def close(self) -> None:
        if self._connection is None:
            return
        # The server may already have gone; there is nothing left to release then.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self._connection.quit()
        self._connection = None
