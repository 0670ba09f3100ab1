"""What every kind of store must provide: the ``Store`` that each package of stores/ implements.

A kind of store supplies everything that differs between stores: the event
store's settings for the eventsourcing library (naming the kind's
infrastructure factory, which also makes the id sequence and the read tables),
the named locks that keep one projector active, how a process hears of new
events and of the read table's progress, how requests read, the errors that
mean the store cannot be reached, and how to tell that the store can be used.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, cast

from eventsourcing.persistence import ApplicationRecorder, PersistenceError

from commands.forgetting import DeleteEvents
from commands.ids import Sequence
from projections.background import Background
from projections.locks import Lock
from projections.reads import Reads, RecordsEvents, ThreadReads
from projections.view import ClientesView

OnPosition = Callable[[int], None]


class StoreUnusable(Exception):
    """The store cannot be used; the message says, in one line, what to fix."""


class StoreSettingsError(Exception):
    """The store's settings cannot be read; the message names the variable to fix."""


class MakesReadSide:
    """Mixed into each store's infrastructure factory: it also makes the id sequence
    and the read tables, on the factory's own datastore."""

    sequence: Callable[[Any], Sequence]
    table: Callable[..., ClientesView]

    def id_sequence(self) -> Sequence:
        return self.sequence(self._datastore())

    def read_table(self, table_name: str = "clientes") -> ClientesView:
        view = self.table(self._datastore(), table_name=table_name)
        view.create_table()
        return view

    def _datastore(self) -> Any:
        return getattr(self, "datastore")  # noqa: B009 - the library factory's own attribute


class Store(ABC):
    """A kind of store, configured."""

    url: str
    schema: str = "public"
    env: Mapping[str, str]  # the eventsourcing library's persistence settings
    data_directory: Path | None = None  # where the embedded store keeps its files
    # How often a request waiting for the read table reads its position again, in
    # case an advance went unreported.
    readable_recheck: float
    # What reading or writing raises while the store cannot be reached, beside the
    # library's own PersistenceError: the driver's errors, a pool's timeout.
    driver_unreachable: ClassVar[tuple[type[Exception], ...]] = ()

    @classmethod
    @abstractmethod
    def from_url(cls, url: str, schema: str, password: str | None) -> Store:
        """The store ``url`` names; raises StoreSettingsError if it cannot be read."""

    @property
    def unreachable(self) -> tuple[type[Exception], ...]:
        """The errors that mean the store is away (or refuses to work), not a fault."""
        return (StoreUnusable, PersistenceError, *self.driver_unreachable)

    @abstractmethod
    def check(self) -> None:
        """Raises StoreUnusable when the store cannot be reached or used."""

    @contextmanager
    def creating_tables(self) -> Iterator[None]:
        """Lets one process at a time create the tables."""
        yield

    @abstractmethod
    def lock(self, name: str) -> Lock:
        """The lock named ``name`` on this store (e.g. the one active projector's)."""

    @abstractmethod
    def follow_events(self, recorder: ApplicationRecorder, on_head: OnPosition) -> Background:
        """A thread that calls ``on_head`` with the store's head position as it moves."""

    @abstractmethod
    def event_deleter(self, recorder: ApplicationRecorder) -> DeleteEvents:
        """Deletes events of ``recorder`` by stream and version, below a position."""

    def reads(self, view: ClientesView, recorder: ApplicationRecorder) -> Reads:
        """How requests read ``view`` and the events of ``recorder``: by default,
        their own reads in a worker thread."""
        return ThreadReads(view, cast(RecordsEvents, recorder))

    def follow_read_table(self, view: ClientesView, on_position: OnPosition) -> Background | None:
        """A thread that reports the read table's position as other processes move it;
        None where waiting requests read it themselves (``readable_recheck``)."""
        return None
