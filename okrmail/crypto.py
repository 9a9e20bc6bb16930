"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with the key from the settings.

`security.secret_key` holds one or more Fernet keys, comma-separated, newest first: the
first encrypts, any of them decrypts, so a key is rotated by putting a new one in front
and re-saving (see `SecretBox.rotate`). Nothing here ever logs or echoes a secret; errors
name the setting, not the value.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from okrmail.settings import Settings

GENERATE_HINT = (
    'generate one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())" and set OKRMAIL_SECURITY__SECRET_KEY_FILE'
)


class SecretError(Exception):
    """The key is missing or wrong, or a stored secret cannot be read with it."""


class SecretBox:
    """Encrypts and decrypts small JSON documents (keys, refresh tokens)."""

    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise SecretError(f"security.secret_key is not set; {GENERATE_HINT}")
        try:
            self._fernet = MultiFernet([Fernet(part.encode("ascii")) for part in parts])
        except (ValueError, UnicodeEncodeError):
            raise SecretError(
                "security.secret_key is not a Fernet key (32 bytes, urlsafe base64); "
                + GENERATE_HINT
            ) from None

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        return cls(settings.security.secret_key)

    def seal(self, document: dict[str, Any]) -> bytes:
        """The encrypted form of `document` (a JSON object)."""
        return self._fernet.encrypt(json.dumps(document, sort_keys=True).encode("utf-8"))

    def open(self, sealed: bytes) -> dict[str, Any]:
        """The document `seal` made; SecretError if no configured key opens it."""
        try:
            return json.loads(self._fernet.decrypt(bytes(sealed)).decode("utf-8"))
        except InvalidToken:
            raise SecretError(
                "a stored credential cannot be decrypted with security.secret_key "
                "(was the key changed without keeping the old one after it?)"
            ) from None

    def rotate(self, sealed: bytes) -> bytes:
        """`sealed` re-encrypted under the newest key."""
        try:
            return self._fernet.rotate(bytes(sealed))
        except InvalidToken:
            raise SecretError("a stored credential cannot be decrypted for rotation") from None

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"
