"""Email addresses compared the way people use them."""

from __future__ import annotations


def normalise(address: str) -> str:
    """Lower-case, without a +tag: alice+okr@example.com -> alice@example.com; the domain
    as DNS has it ("bücher.example" and "xn--bcher-kva.example" are one domain, the second
    what clients send without SMTPUTF8)."""
    local, _, domain = address.strip().lower().rpartition("@")
    if not local:
        return address.strip().lower()
    return f"{local.split('+', 1)[0]}@{_ascii_domain(domain)}"


def _ascii_domain(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:  # not a name DNS could hold: compared as written
        return domain
