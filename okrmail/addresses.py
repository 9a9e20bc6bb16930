"""Email addresses compared the way people use them."""

from __future__ import annotations


def normalise(address: str) -> str:
    """Lower-case, without a +tag: alice+okr@example.com -> alice@example.com."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if local else address.strip().lower()
