"""Filling the store fast: the events written straight into the event store.

Each seeded Cliente is two stored events, its ClienteCreated and its code's
CodigoIndex.Claimed, encoded here in the library's JSON format from a
template and copied into the events table with COPY. Before any is written,
the template's output is compared byte for byte with what the application's
own mapper makes of the same event, so a change of format stops the seeding
rather than seeding something else. ``clientes replay`` then builds the read
table (bench/tables.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import msgspec
import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder

from api.bootstrap import prepare_store
from bench.database import conninfo
from commands import Cliente, Clientes, validate
from commands.cliente import cliente_aggregate_id
from commands.codigo import CodigoIndex, normalise_codigo
from stores import store_from_url

ACTOR = "bench"
NOMBRES = ("Rosa", "José", "María", "Luis", "Ana", "Jorge", "Lucía", "Carlos", "Inés", "Raúl")
APELLIDOS = ("Huamán", "Núñez", "Quispe", "Mamani", "García", "Chávez", "Flores", "Ñahui")
# The representatives' surnames: in no nombre, so a q of one finds the contactoRepresentante.
CONTACTOS = ("Villanueva", "Zevallos", "Paredes", "Cárdenas", "Salazar", "Valdivia", "Espinoza")


def _plain(text: str) -> str:
    """``text`` in lower case, its accents dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


REPRESENTANTES = tuple(_plain(name) for name in CONTACTOS)  # the terms that find them


def datos(n: int) -> dict[str, str | None]:
    """The fields of seeded Cliente ``n``: varied enough for searches to find a few."""
    first, last = NOMBRES[n % len(NOMBRES)], APELLIDOS[(n // 10) % len(APELLIDOS)]
    persona = f"{first} {last} {APELLIDOS[n % 7]}"
    nombre, tipo_cliente, tipo_documento, numero = {
        0: (persona, "PERSONA", "DNI", f"{n % 10**8:08d}"),
        1: (f"{last} Servicios {n} SAC", "EMPRESA", "RUC", f"20{n:09d}"),
        2: (persona, "PERSONA", "CE", f"X{n:09d}"),
        3: (f"Asociación {last} {n}", "OTRO", "OTRO", f"P-{n}"),  # one in ten
    }[3 if n % 10 == 7 else n % 3]
    # Every other Cliente has a phone, one in four a representative (one in 28 of each
    # surname), every one an e-mail whose start, up to the "@", few share.
    local = "ventas" if tipo_cliente == "EMPRESA" else _plain(first) + "."
    return {
        "codigo_cliente": codigo(n),
        "nombre": nombre,
        "tipo_cliente": tipo_cliente,
        "tipo_documento": tipo_documento,
        "numero_documento": numero,
        "direccion": f"Av. Arequipa {n % 5000}, Lima",
        "telefono": f"+51 9{n % 10**8:08d}" if n % 2 else None,
        "email": f"{local}{n}@example.com",
        "contacto_representante": (
            f"{NOMBRES[(n // 3) % 10]} {CONTACTOS[(n // 4) % 7]}" if n % 4 == 1 else None
        ),
    }


def codigo(n: int) -> str:
    return f"CLI-{n:08d}"


@dataclass(frozen=True)
class Templates:
    """The topics and the JSON states of the two events that seed a Cliente."""

    cliente_topic: str
    index_topic: str

    @staticmethod
    def cliente_state(n: int, at: datetime) -> bytes:
        return msgspec.json.encode(
            {
                "timestamp": {"_type_": "datetime_iso", "_data_": at.isoformat()},
                "originator_topic": "commands.cliente:Cliente",
                "cliente_id": n,
                **datos(n),
                "actor": ACTOR,
                "class_version": Cliente.ClienteCreated.class_version,
            }
        )

    @staticmethod
    def index_state(n: int, at: datetime) -> bytes:
        return msgspec.json.encode(
            {
                "timestamp": {"_type_": "datetime_iso", "_data_": at.isoformat()},
                "originator_topic": "commands.codigo:CodigoIndex",
                "codigo": normalise_codigo(codigo(n)),
                "cliente_id": n,
                "class_version": CodigoIndex.Claimed.class_version,
            }
        )

    @classmethod
    def checked(cls, clientes: Clientes) -> Templates:
        """The templates, once they are seen to encode as the application's mapper does."""
        n = 9  # one with every field
        cliente = Cliente.register(n, validate(datos(n)), ACTOR)
        index = CodigoIndex.claim(codigo(n), n)
        created, claimed = (
            clientes.mapper.to_stored_event(event)
            for event in (*cliente.collect_events(), *index.collect_events())
        )
        templates = cls(created.topic, claimed.topic)
        ours = (
            templates.cliente_state(n, cliente.created_on),
            templates.index_state(n, index.created_on),
        )
        if ours != (created.state, claimed.state):
            raise RuntimeError(f"the seed's events differ from the mapper's: {ours!r}")
        return templates


def open_store(url: str) -> Clientes:
    """The application on ``url``, its tables and the read table created."""
    store = store_from_url(url)
    prepare_store(store)
    return Clientes(env=store.env)


def add_clientes(url: str, count: int) -> range:
    """Records ``count`` new Clientes after the last id given; returns their ids."""
    clientes = open_store(url)
    try:
        templates = Templates.checked(clientes)
        recorder = cast(PostgresApplicationRecorder, clientes.recorder)
        table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
    finally:
        clientes.close()
    with psycopg.connect(conninfo(url)) as conn:
        first = _next_id(conn)
        ids = range(first, first + count)
        copy_sql = (
            f"COPY {table} (originator_id, originator_version, topic, state) "
            "FROM STDIN (FORMAT BINARY)"
        )
        with conn.cursor().copy(copy_sql) as copy:
            copy.set_types(["uuid", "int8", "text", "bytea"])
            for row in _rows(templates, ids):
                copy.write_row(row)
        if ids:
            # Each nextval reserves the block that ends at its value: the next one starts after.
            conn.execute("SELECT setval('cliente_id_seq', %s)", (ids[-1],))
        # A store that grew event by event has its planner statistics (autovacuum keeps
        # them); one filled by COPY a moment ago has none yet.
        conn.execute(f"ANALYZE {table}")
    return ids


def _rows(templates: Templates, ids: range) -> Iterator[tuple[Any, ...]]:
    start = datetime.now(UTC) - timedelta(days=1)
    for n in ids:
        at = start + timedelta(microseconds=n)
        yield cliente_aggregate_id(n), 1, templates.cliente_topic, templates.cliente_state(n, at)
        index_id = CodigoIndex.create_id(codigo(n))
        yield index_id, 1, templates.index_topic, templates.index_state(n, at)


def _next_id(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT last_value, is_called FROM cliente_id_seq").fetchone()
    return int(row[0]) + 1 if row and row[1] else 1


def stored_events(url: str) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute("SELECT count(*) FROM clientes_events").fetchone()
    return int(row[0]) if row else 0


def vigentes(url: str) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute("SELECT count(*) FROM clientes").fetchone()
    return int(row[0]) if row else 0
