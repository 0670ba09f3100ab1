"""PostgreSQL: the production store.

Locks are session advisory locks; other processes' writes and the read
table's progress arrive by LISTEN/NOTIFY, on the channels the event store and
the read table notify on commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast
from urllib.parse import unquote, urlsplit
from uuid import UUID

import psycopg
import psycopg_pool
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.sql import SQL, Identifier

from commands.forgetting import DeleteEvents
from projections.background import Background
from projections.locks import Lock
from projections.reads import Reads
from projections.view import ClientesView
from stores.postgres.listener import ChannelListener
from stores.postgres.locks import AdvisoryLock, advisory_key
from stores.postgres.read_table import PostgresClientesView
from stores.postgres.reads import PoolReads
from stores.postgres.recorder import ClientesPostgresFactory, PostgresEventRecorder
from stores.store import OnPosition, Store, StoreSettingsError, StoreUnusable

# Whether pg_trgm, which the read table's search indexes use, is there or can be made;
# and whether the server has it at all.
TRIGRAMS_USABLE = (
    "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'),"
    " has_database_privilege(current_database(), 'CREATE')"
    "   AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'),"
    " EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')"
)


class PostgresStore(Store):
    readable_recheck = 0.25
    driver_unreachable = (
        psycopg.OperationalError,
        psycopg.InterfaceError,
        psycopg_pool.PoolTimeout,
    )

    @classmethod
    def from_url(cls, url: str, schema: str = "public", password: str | None = None) -> Store:
        params = _postgres_params(url)
        if password is not None:
            params["password"] = password
        return cls(url, params, schema)

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
            view,
            recorder.select_events_statement,
            recorder.select_kept_statement,
            recorder.select_keys_statement,
            self.conninfo,
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


def _postgres_params(url: str) -> dict[str, str]:
    """libpq's connection parameters from a postgresql:// URL, percent-decoded.

    A password with a raw ``/``, ``?`` or ``#`` ends the URL's user part early:
    the rest is read as a port, a path or a fragment. Such a URL is refused,
    never echoed (it holds the password).
    """
    unreadable = StoreSettingsError(
        "CLIENTES_DATABASE_URL cannot be read as postgresql://user:pass@host:port/db: "
        "percent-encode the password (/ as %2F, # as %23, ? as %3F, @ as %40, % as %25) "
        "or leave it out of the URL and set CLIENTES_DATABASE_PASSWORD"
    )
    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError:
        raise unreadable from None
    if parts.fragment or ("@" in url and "@" not in parts.netloc):
        raise unreadable
    if not parts.path.strip("/"):
        raise StoreSettingsError(
            "CLIENTES_DATABASE_URL must name the database: postgresql://.../db"
        )
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": str(port),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "dbname": unquote(parts.path.strip("/")),
    }
