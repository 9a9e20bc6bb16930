"""Name -> provider class registries. The only place a provider is chosen by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Registry:
    """A dict of provider classes that names what is allowed when a name is unknown."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, type[Any]] = {}

    def register(self, name: str) -> Callable[[type[Any]], type[Any]]:
        def decorate(cls: type[Any]) -> type[Any]:
            self._classes[name] = cls
            return cls

        return decorate

    def get(self, name: str) -> type[Any]:
        try:
            return self._classes[name]
        except KeyError:
            allowed = ", ".join(sorted(self._classes))
            raise LookupError(
                f"unknown {self.kind} provider {name!r}; allowed: {allowed}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._classes)
