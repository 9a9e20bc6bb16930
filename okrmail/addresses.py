"""Email addresses compared the way people use them."""

from __future__ import annotations

import idna


def normalise(address: str) -> str:
    """Lower-case, without a +tag: alice+okr@example.com -> alice@example.com; the domain
    as DNS has it ("bücher.example" and "xn--bcher-kva.example" are one domain, the second
    what clients send without SMTPUTF8)."""
    local, _, domain = address.strip().lower().rpartition("@")
    if not local:
        return address.strip().lower()
    return f"{local.split('+', 1)[0]}@{ascii_domain(domain)}"


def ascii_domain(domain: str) -> str:
    """The domain as DNS holds it, by IDNA 2008 with UTS #46 mapping (the stdlib's codec is
    IDNA 2003, which maps "straße" to "strasse": another domain)."""
    if domain.isascii():
        return domain.lower()
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:  # not a name DNS could hold: compared as written
        return domain
