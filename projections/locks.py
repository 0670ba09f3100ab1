"""Named locks that one process at a time holds: the active projector, the one replay.

Each kind of store provides its own (stores/): on PostgreSQL a session advisory
lock, on SQLite a lock on a file beside the database. A lock only locks; how a
projector hears of new events is the store's follower's business.
"""

from __future__ import annotations

from typing import Protocol


class Lock(Protocol):
    def acquire(self) -> bool:
        """Takes the lock if it is free, without waiting; True while this process holds it.

        Called again by the holder, it checks that the lock is still held.
        """
        ...

    def release(self) -> None:
        """Gives the lock up (or the attempt at it)."""
        ...

    def held(self) -> bool:
        """Whether some process, this one included, holds the lock now."""
        ...
