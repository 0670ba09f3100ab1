"""How many event streams are open: at most so many per token ``sub``, and so many in all.

An open stream holds a slot. Slots are byte-range locks (``lockf``) on files in
the directory that the workers of one ``clientes serve`` share, so the caps hold
across its workers, and a worker that dies gives its slots back with its locks.
Without that directory (an app made by a test), the slots are this process's own.
POSIX locks belong to a process, not to a descriptor, so the process also keeps
which slots of each file it holds, and closes a file only once it holds none.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Slot:
    """One open stream's places in the caps; ``release`` gives them back (once)."""

    slots: StreamSlots
    places: list[tuple[str, int]]

    def release(self) -> None:
        for key, index in self.places:
            self.slots.give_back(key, index)
        self.places = []


@dataclass
class StreamSlots:
    directory: Path | None
    per_sub: int
    total: int
    _held: dict[str, set[int]] = field(default_factory=dict)
    _files: dict[str, int] = field(default_factory=dict)

    def take(self, sub: str) -> Slot | None:
        """A slot for a stream of ``sub``; None when ``sub``'s or all streams are at their cap."""
        everyone = self._take("all", self.total)
        if everyone is None:
            return None
        own_key = "sub-" + hashlib.sha256(sub.encode()).hexdigest()[:32]
        own = self._take(own_key, self.per_sub)
        if own is None:
            self.give_back("all", everyone)
            return None
        return Slot(self, [("all", everyone), (own_key, own)])

    def _take(self, key: str, size: int) -> int | None:
        held = self._held.setdefault(key, set())
        for index in range(size):
            if index not in held and self._lock(key, index):
                held.add(index)
                return index
        if not held:
            self._close(key)
        return None

    def give_back(self, key: str, index: int) -> None:
        held = self._held.get(key, set())
        if index not in held:
            return
        held.discard(index)
        if key in self._files:
            fcntl.lockf(self._files[key], fcntl.LOCK_UN, 1, index)
        if not held:
            self._close(key)

    def _lock(self, key: str, index: int) -> bool:
        if self.directory is None:
            return True  # this process's slots only: its own bookkeeping decides
        if key not in self._files:
            self._files[key] = os.open(
                self.directory / f"streams-{key}", os.O_RDWR | os.O_CREAT, 0o600
            )
        try:
            fcntl.lockf(self._files[key], fcntl.LOCK_EX | fcntl.LOCK_NB, 1, index)
        except OSError:  # another worker holds it
            return False
        return True

    def _close(self, key: str) -> None:
        self._held.pop(key, None)
        if (descriptor := self._files.pop(key, None)) is not None:
            os.close(descriptor)  # drops this process's locks on the file: it holds none
