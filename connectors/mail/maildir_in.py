"""The embedded `maildir` receiver: replies delivered by a local MTA (or a test) into a Maildir.

Messages waiting are the files in new/ and cur/ of the top-level folder; a processed one is
renamed (atomically, same file system) into the Maildir++ subfolder `.processed`, where any
mail client can still open it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from connectors.errors import ConnectorError
from connectors.mail.inbound import KnownKeys, MailKey, ReceiverDeps, mail_receivers

PROCESSED = ".processed"
FOLDER = "INBOX"


@dataclass(frozen=True)
class MaildirInConfig:
    path: Path


@mail_receivers.register("maildir")
class MaildirReceiver:
    name = "maildir"

    def __init__(self, deps: ReceiverDeps) -> None:
        self.path = Path(deps.config.path)
        self.account = str(self.path)
        self._files: dict[MailKey, Path] = {}

    def fetch(self, known: KnownKeys, limit: int) -> Iterator[tuple[MailKey, bytes]]:
        waiting = self._waiting()
        stored = set(known(list(waiting)))
        fresh = [key for key in sorted(waiting) if key not in stored]
        for key in fresh[:limit]:
            try:
                raw = waiting[key].read_bytes()
            except FileNotFoundError:  # another fetcher moved it first
                continue
            except OSError as error:
                raise ConnectorError(f"cannot read {waiting[key]}: {error}") from error
            self._files[key] = waiting[key]
            yield key, raw
        # Stored before but never moved (a crash in between): move them now.
        for key in stored & waiting.keys():
            self._files[key] = waiting[key]
            self.mark_processed(key)

    def _waiting(self) -> dict[MailKey, Path]:
        found: dict[MailKey, Path] = {}
        for sub in ("new", "cur"):
            folder = self.path / sub
            try:
                entries = list(os.scandir(folder))
            except FileNotFoundError:
                continue
            except OSError as error:
                raise ConnectorError(f"cannot list Maildir {folder}: {error}") from error
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                unique = entry.name.split(":", 1)[0]  # the part before the flags
                found[MailKey(self.account, FOLDER, 0, unique)] = Path(entry.path)
        return found

    def mark_processed(self, key: MailKey) -> None:
        source = self._files.pop(key, None)
        if source is None:
            return
        target_dir = self.path / PROCESSED / "cur"
        try:
            for sub in ("cur", "new", "tmp"):
                (self.path / PROCESSED / sub).mkdir(parents=True, exist_ok=True)
            name = source.name if ":" in source.name else f"{source.name}:2,S"
            os.replace(source, target_dir / name)
        except FileNotFoundError:
            return  # already moved by another fetcher
        except OSError as error:
            raise ConnectorError(f"cannot move {source} to {target_dir}: {error}") from error

    def close(self) -> None:
        self._files.clear()
