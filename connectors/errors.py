"""The one error type every connector raises, saying whether a retry can help."""

from __future__ import annotations


class ConnectorError(Exception):
    """A provider call failed.

    permanent=True: retrying the same call cannot help (bad credentials, a revoked grant,
    a malformed request, a rejected recipient); the caller records it and tells a person.
    permanent=False: transient (timeout, 429, 5xx); the caller retries with backoff.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, permanent={self.permanent})"
