"""Numeric Cliente ids: blocks of a sequence in the event store's own database.

A database sequence hands out each number once, under any concurrency and
across processes, and never again: an id is never reused, even when the
create that drew it is refused. Each process draws a block of ids at a time
and hands them out from memory, so a create makes no round trip for its id;
the ids a process has not used when it stops are skipped, never reused. The
sequence lives beside the events, in the same database and schema, so there
is one thing to back up. Each kind of store supplies its own (api/stores/),
through the application's infrastructure factory.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

BLOCK = 64  # ids drawn from the sequence at a time


class Sequence(Protocol):
    block: int  # the numbers a block holds

    def next_block(self) -> int:
        """Reserves the next block of numbers; returns the last of them."""
        ...


@runtime_checkable
class SuppliesIdSequence(Protocol):
    """What the event store's infrastructure factory must also make."""

    def id_sequence(self) -> Sequence: ...


class Ids:
    """Hands out ids from blocks of the sequence, one block at a time."""

    def __init__(self, sequence: Sequence) -> None:
        self._sequence = sequence
        self._lock = threading.Lock()
        self._next, self._last = 1, 0

    def next_id(self) -> int:
        with self._lock:
            if self._next > self._last:
                self._last = self._sequence.next_block()
                # A new sequence's first value is 1, whatever its step: that block is [1].
                self._next = max(1, self._last - self._sequence.block + 1)
            self._next += 1
            return self._next - 1


def ids_for(factory: object) -> Ids:
    """The ids of the store the application was given."""
    if not isinstance(factory, SuppliesIdSequence):
        raise TypeError(
            f"{type(factory).__name__} makes no id sequence: "
            "set PERSISTENCE_MODULE to one of the service's stores (api/stores/)"
        )
    return Ids(factory.id_sequence())
