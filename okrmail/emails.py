"""Every email is a template triplet rendered by one function: build_email().

templates/email/NAME.subject.txt, NAME.txt and NAME.html share one JSON-serialisable
context; the HTML gets its CSS inlined (mail clients drop <style> blocks) and both parts
travel as multipart/alternative so plain-text readers see the same facts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

if TYPE_CHECKING:
    from okrmail.settings import MailSettings

# Robots (out-of-office, vacation responders) must not answer our mail: RFC 3834 and the
# header Exchange honours.
AUTOMATED_HEADERS = {
    "Auto-Submitted": "auto-generated",
    "X-Auto-Response-Suppress": "All",
}


class _HeaderClassPerName(HeaderRegistry):
    """The stdlib registry makes a new class each time a header is set (`type()` on every
    lookup), which was a fifth of the cost of building an email; one per name serves."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(name)
        return found


# policy.default, building its header objects faster; the bytes it writes are the same.
POLICY = policy.default.clone(header_factory=_HeaderClassPerName())


def our_address(mail: MailSettings) -> Address:
    """Whom every email okrmail sends comes from."""
    return Address(mail.from_name, addr_spec=mail.from_address)


@dataclass(frozen=True)
class Envelope:
    sender: Address
    to: Address
    message_id: str
    reply_to: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


@lru_cache(maxsize=4)
def _environment(templates_path: Path) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(templates_path / "email")),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["in_words"] = in_words
    return environment


def in_words(count: int) -> str:
    """A small count as a word ("three"), as people write it in a sentence; a large one
    in digits. "Your three 1-on-1s today" reads, where "Your 3 1-on-1s" runs two numbers
    together."""
    return _COUNT_WORDS[count] if 0 <= count < len(_COUNT_WORDS) else str(count)


_COUNT_WORDS = (
    "no one two three four five six seven eight nine ten eleven twelve".split()  # noqa: SIM905
)


def render(templates_path: Path, name: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of template `name`; the context must survive a JSON round trip."""
    json.dumps(context)  # raises TypeError early if a job could not carry this context
    environment = _environment(templates_path)
    subject = environment.get_template(f"{name}.subject.txt").render(context)
    text = environment.get_template(f"{name}.txt").render(context)
    html = environment.get_template(f"{name}.html").render(context)
    subject = " ".join(subject.split())  # one line, however the template wraps it
    return subject, text, css_inline.inline(html)


def build_email(
    templates_path: Path,
    name: str,
    context: dict[str, Any],
    envelope: Envelope,
    *,
    date: Any,
    automated: bool = True,
) -> EmailMessage:
    """A complete multipart (text + HTML) message for template `name`."""
    subject, text, html = render(templates_path, name, context)
    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject
    message["From"] = envelope.sender
    message["To"] = envelope.to
    message["Date"] = format_datetime(date)
    message["Message-ID"] = envelope.message_id
    if envelope.reply_to:
        message["Reply-To"] = envelope.reply_to
    if envelope.in_reply_to:
        message["In-Reply-To"] = envelope.in_reply_to
        message["References"] = " ".join([*envelope.references, envelope.in_reply_to])
    if automated:
        for header, value in AUTOMATED_HEADERS.items():
            message[header] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
