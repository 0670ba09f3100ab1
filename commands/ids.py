"""Numeric Cliente ids: a sequence in the event store's own database.

A database sequence hands out each number once, under any concurrency and
across processes, and never again: an id is never reused, even when the
create that drew it is refused. It lives beside the events, in the same
database and schema, so there is one thing to back up. Each kind of store
supplies its own (api/stores/), through the application's infrastructure
factory.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class IdSequence(Protocol):
    def next_id(self) -> int: ...


@runtime_checkable
class SuppliesIdSequence(Protocol):
    """What the event store's infrastructure factory must also make."""

    def id_sequence(self) -> IdSequence: ...


def id_sequence(factory: object) -> IdSequence:
    """The id sequence of the store the application was given."""
    if not isinstance(factory, SuppliesIdSequence):
        raise TypeError(
            f"{type(factory).__name__} makes no id sequence: "
            "set PERSISTENCE_MODULE to one of the service's stores (api/stores/)"
        )
    return factory.id_sequence()
