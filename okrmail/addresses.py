"""Email addresses compared the way people use them."""

from __future__ import annotations

import contextlib

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


def written_forms(address: str) -> set[str]:
    """The forms a stored address may have: as given, `normalise`d, and that with its domain
    as written by people ("lena@xn--bcher-kva.example" is stored as "lena@bücher.example")."""
    wanted = normalise(address)
    local, _, domain = wanted.rpartition("@")
    forms = {address.strip(), address.strip().lower(), wanted}
    if local and "xn--" in domain:
        with contextlib.suppress(idna.IDNAError):  # not a name DNS could hold
            forms.add(f"{local}@{idna.decode(domain)}")
    return forms
