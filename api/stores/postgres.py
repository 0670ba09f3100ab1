"""PostgreSQL: the production store.

Locks are session advisory locks; other processes' writes and the read
table's progress arrive by LISTEN/NOTIFY, on the channels the event store and
the read table notify on commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import get_topic, retry
from psycopg import Cursor
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier, Literal

from api.stores import MakesReadSide, OnPosition, Store, StoreUnusable
from commands.forgetting import DeleteEvents
from commands.idempotency import KeptCounts
from commands.ids import BLOCK
from projections.listeners import Background, ChannelListener
from projections.locks import AdvisoryLock, Lock, advisory_key
from projections.postgres import PostgresClientesView
from projections.reads import PoolReads, Reads
from projections.view import ClientesView

# Whether pg_trgm, which the read table's search indexes use, is there or can be made;
# and whether the server has it at all.
TRIGRAMS_USABLE = (
    "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'),"
    " has_database_privilege(current_database(), 'CREATE')"
    "   AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'),"
    " EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')"
)


class PostgresIdSequence:
    """A PostgreSQL sequence that steps by a block: one nextval reserves a whole block."""

    def __init__(
        self, datastore: PostgresDatastore, name: str = "cliente_id_seq", block: int = BLOCK
    ) -> None:
        self._datastore = datastore
        self._sequence = Identifier(datastore.schema, name)
        self.block = block
        with self._datastore.transaction(commit=True) as curs:
            curs.execute(SQL("CREATE SEQUENCE IF NOT EXISTS {} AS bigint").format(self._sequence))
            # Each nextval then reserves the block that ends at its value: one that
            # stepped by 1 before goes on past every id it ever gave.
            curs.execute(
                SQL("ALTER SEQUENCE {} INCREMENT BY {}").format(self._sequence, Literal(block))
            )

    # As the library's own recorders do: a pooled connection the server dropped is
    # replaced and the statement tried again.
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def next_block(self) -> int:
        with self._datastore.get_connection() as conn:
            row = conn.execute(SQL("SELECT nextval('{}')").format(self._sequence)).fetchone()
        if row is None:
            raise LookupError(f"the sequence {self._sequence} gave no value")
        return int(row["nextval"])


class PostgresEventRecorder(PostgresApplicationRecorder):
    """The library's recorder, sending the events it inserts as a binary array, and
    counting the answers of idempotency keys they keep (commands/idempotency.py).

    The library's statement takes the events as one array of its composite type,
    in text (``%s``): psycopg then writes each event's bytes as escaped text, in
    Python, which costs in proportion to the bytes (39 µs for a keyed create's
    three events). The same statement with the array in binary (``%b``) costs
    7 µs. Only the placeholder's format changes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insert_events_statement = _in_binary(self.insert_events_statement)
        kept = Identifier(self.datastore.schema, f"{self.events_table_name}_kept_answers")
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (actor text, hour bigint, answers bigint NOT NULL,"
                " PRIMARY KEY (actor, hour))"
            ).format(kept)
        )
        self.count_kept_statement = SQL(
            "INSERT INTO {} AS k VALUES (%s, %s, %s) ON CONFLICT (actor, hour)"
            " DO UPDATE SET answers = k.answers + excluded.answers"
        ).format(kept)
        self.select_kept_statement = SQL(
            "SELECT coalesce(sum(answers), 0) AS answers FROM {} WHERE actor = %s AND hour >= %s"
        ).format(kept)
        self.forget_kept_statement = SQL("DELETE FROM {} WHERE hour < %s").format(kept)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)
        # Counted while the table lock is held: no two transactions meet on a row.
        counts: KeptCounts = kwargs.get("kept_answers", {})
        if counts:
            rows = [(actor, hour, n) for (actor, hour), n in sorted(counts.items())]
            # A cursor of its own: the library reads the inserted positions from ``curs``.
            with curs.connection.cursor() as counting:
                counting.executemany(self.count_kept_statement, rows)

    def kept_answers(self, actor: str, since_hour: int) -> int:
        with self.datastore.get_connection() as conn:
            row = conn.execute(self.select_kept_statement, (actor, since_hour)).fetchone()
        return int(row["answers"]) if row else 0

    def forget_kept_answers(self, before_hour: int) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.forget_kept_statement, (before_hour,))


def _in_binary(statement: Composed) -> Composed:
    parts = [
        SQL(part.as_string(None).replace("unnest(%s::", "unnest(%b::"))
        if isinstance(part, SQL)
        else part
        for part in statement
    ]
    if parts == list(statement):
        raise RuntimeError(f"the library's insert statement has changed: {statement!r}")
    return Composed(parts)


class ClientesPostgresFactory(MakesReadSide, PostgresFactory):
    """The library's PostgreSQL factory, which also makes the id sequence and the read tables."""

    application_recorder_class = PostgresEventRecorder
    sequence = PostgresIdSequence
    table = PostgresClientesView


class PostgresStore(Store):
    readable_recheck = 0.25

    def __init__(self, url: str, params: dict[str, str], schema: str) -> None:
        self.url = url
        self.schema = schema
        self.conninfo = make_conninfo(**params)
        self.env = {
            "PERSISTENCE_MODULE": get_topic(ClientesPostgresFactory),
            **{f"POSTGRES_{key.upper()}": value for key, value in params.items()},
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_CONNECT_TIMEOUT": "2",
        }

    def check(self) -> None:
        params = conninfo_to_dict(self.conninfo)
        where = f"database {params['dbname']} at {params['host']}:{params['port']}"
        try:
            with psycopg.connect(self.conninfo, connect_timeout=5) as conn:
                query = "SELECT 1 FROM pg_namespace WHERE nspname = %s"
                found = conn.execute(query, (self.schema,)).fetchone()
                trigrams = conn.execute(TRIGRAMS_USABLE).fetchone()
        except psycopg.OperationalError as error:
            raise StoreUnusable(
                f"CLIENTES_DATABASE_URL: cannot connect to PostgreSQL {where}: {_reason(error)}"
            ) from None
        if found is None:
            raise StoreUnusable(
                f"CLIENTES_DATABASE_SCHEMA: there is no schema {self.schema!r} in {where}; "
                f'create it (CREATE SCHEMA "{self.schema}") or name one that exists'
            )
        if trigrams is not None and not any(trigrams[:2]):
            reason = (
                "the role may not create it: run CREATE EXTENSION pg_trgm as an administrator"
                if trigrams[2]
                else "the server does not have it: install PostgreSQL's contrib modules"
            )
            raise StoreUnusable(
                f"CLIENTES_DATABASE_URL: the search of Clientes needs the extension pg_trgm "
                f"in {where}; {reason}"
            )

    @contextmanager
    def creating_tables(self) -> Iterator[None]:
        # CREATE ... IF NOT EXISTS fails when another session creates the same table at
        # the same moment, as workers and a projector starting together do.
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (advisory_key(self.schema, "setup"),))
            yield  # the lock ends with the session

    def lock(self, name: str) -> Lock:
        return AdvisoryLock(self.conninfo, advisory_key(self.schema, name))

    def event_deleter(self, recorder: ApplicationRecorder) -> DeleteEvents:
        events = cast(PostgresApplicationRecorder, recorder)
        statement = SQL(
            "DELETE FROM {}.{} "
            "WHERE originator_id = %s AND originator_version = %s AND notification_id < %s"
        ).format(Identifier(events.datastore.schema), Identifier(events.events_table_name))

        def delete(ids: Sequence[tuple[UUID, int]], below: int) -> int:
            with events.datastore.transaction(commit=True) as curs:
                curs.executemany(statement, [(i, version, below) for i, version in ids])
                return curs.rowcount

        return delete

    def follow_events(self, recorder: ApplicationRecorder, on_head: OnPosition) -> Background:
        def report_head(*_: object) -> None:
            on_head(recorder.max_notification_id() or 0)

        return ChannelListener(
            self.conninfo,
            cast(PostgresApplicationRecorder, recorder).channel_name,
            on_notify=report_head,
            on_listening=report_head,
            name="events-listener",
        )

    def reads(self, view: ClientesView, recorder: ApplicationRecorder) -> Reads:
        assert isinstance(recorder, PostgresEventRecorder)
        assert isinstance(view, PostgresClientesView)
        return PoolReads(
            view, recorder.select_events_statement, recorder.select_kept_statement, self.conninfo
        )

    def follow_read_table(self, view: ClientesView, on_position: OnPosition) -> Background:
        return ChannelListener(
            self.conninfo,
            cast(PostgresClientesView, view).channel,
            on_notify=lambda payload: on_position(int(payload)),
            name="read-table-listener",
        )


def _reason(error: psycopg.OperationalError) -> str:
    """The gist of a connection error, in one line: "Connection refused", ..."""
    first_line = (str(error).strip() or type(error).__name__).splitlines()[0]
    gist = first_line.rpartition(" failed: ")[2].removeprefix("FATAL:")
    return " ".join(gist.split())
