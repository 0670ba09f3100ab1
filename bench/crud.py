"""The plain CRUD baseline: the same routes over one table, as a straightforward service does it.

One table, written and read in place: INSERT, SELECT by id, UPDATE, and a list
that counts with ``count(*)`` and pages with OFFSET. Litestar, msgspec and a
psycopg AsyncConnectionPool, like the service, on the same uvicorn settings.
No events, no projection, no auth. The service never imports this module; the
bench starts it with ``uvicorn bench.crud:create_app --factory`` and
BENCH_CRUD_CONNINFO naming its database.
"""

from __future__ import annotations

import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import msgspec
from litestar import Litestar, Request, get, patch, post
from litestar.exceptions import HTTPException, NotFoundException
from psycopg import AsyncConnection, errors
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

TABLE = "crud_clientes"
FIELDS = (
    "codigo_cliente",
    "nombre",
    "tipo_cliente",
    "tipo_documento",
    "numero_documento",
    "direccion",
    "telefono",
    "email",
    "contacto_representante",
)
COLUMNS = ("id", *FIELDS, "version", "fecha_creacion", "fecha_modificacion")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM {TABLE}"
INSERT = (
    f"INSERT INTO {TABLE} ({', '.join(FIELDS)}) VALUES ({', '.join(['%s'] * len(FIELDS))})"
    f" RETURNING {', '.join(COLUMNS)}"
)
CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id bigserial PRIMARY KEY,
    codigo_cliente text NOT NULL, nombre text NOT NULL, tipo_cliente text NOT NULL,
    tipo_documento text NOT NULL, numero_documento text NOT NULL, direccion text,
    telefono text, email text, contacto_representante text,
    version bigint NOT NULL DEFAULT 1, vigente boolean NOT NULL DEFAULT true,
    fecha_creacion timestamptz NOT NULL DEFAULT now(),
    fecha_modificacion timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_codigo_key ON {TABLE} (lower(codigo_cliente));
"""


class Base(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    pass


class ClienteCreate(Base):
    codigo_cliente: str
    nombre: str
    tipo_cliente: str
    tipo_documento: str
    numero_documento: str
    direccion: str | None = None
    telefono: str | None = None
    email: str | None = None
    contacto_representante: str | None = None


class Cliente(ClienteCreate, kw_only=True):
    id: int
    version: int
    fecha_creacion: datetime
    fecha_modificacion: datetime
    vigente: bool = True


class Page(Base):
    content: list[Cliente]
    total_elements: int
    total_pages: int
    number: int
    size: int


BY_CAMEL = {field.encode_name: field.name for field in msgspec.structs.fields(ClienteCreate)}


def pool_of(request: Request[Any, Any, Any]) -> AsyncConnectionPool[AsyncConnection[DictRow]]:
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = request.app.state.pool
    return pool


async def fetch(request: Request[Any, Any, Any], sql: str, params: Any) -> list[DictRow]:
    async with pool_of(request).connection() as conn:
        cursor = await conn.execute(sql, params, prepare=True)
        return await cursor.fetchall()


@post("/api/clientes")
async def create(request: Request[Any, Any, Any], data: ClienteCreate) -> Cliente:
    values = msgspec.structs.asdict(data)
    try:
        (row,) = await fetch(request, INSERT, [values[name] for name in FIELDS])
    except errors.UniqueViolation:
        raise HTTPException(status_code=409, detail="codigoCliente taken") from None
    return Cliente(**row)


@get("/api/clientes/{cliente_id:int}")
async def read(request: Request[Any, Any, Any], cliente_id: int) -> Cliente:
    rows = await fetch(request, f"{SELECT} WHERE id = %s AND vigente", (cliente_id,))
    if not rows:
        raise NotFoundException()
    return Cliente(**rows[0])


@get("/api/clientes")
async def page(request: Request[Any, Any, Any], page: int = 0, size: int = 20) -> Page:
    async with pool_of(request).connection() as conn:
        counted = await conn.execute(f"SELECT count(*) FROM {TABLE} WHERE vigente", prepare=True)
        total = int((await counted.fetchone() or {"count": 0})["count"])
        cursor = await conn.execute(
            f"{SELECT} WHERE vigente ORDER BY id LIMIT %s OFFSET %s",
            (size, page * size),
            prepare=True,
        )
        rows = await cursor.fetchall()
    return Page([Cliente(**r) for r in rows], total, math.ceil(total / size), page, size)


@patch("/api/clientes/{cliente_id:int}")
async def update(request: Request[Any, Any, Any], cliente_id: int) -> Cliente:
    try:
        changes = msgspec.json.decode(await request.body(), type=dict[str, str | None])
    except msgspec.DecodeError as error:
        raise HTTPException(status_code=400, detail=str(error)) from None
    if unknown := set(changes) - set(BY_CAMEL):
        raise HTTPException(status_code=400, detail=f"unknown fields: {sorted(unknown)}")
    assignments = "".join(f"{BY_CAMEL[camel]} = %s, " for camel in changes)
    sql = (
        f"UPDATE {TABLE} SET {assignments}version = version + 1, fecha_modificacion = now()"
        f" WHERE id = %s AND vigente RETURNING {', '.join(COLUMNS)}"
    )
    rows = await fetch(request, sql, [*changes.values(), cliente_id])
    if not rows:
        raise NotFoundException()
    return Cliente(**rows[0])


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    # The same pool shape as the service's reads (projections/reads.py).
    async with AsyncConnectionPool[AsyncConnection[DictRow]](
        os.environ["BENCH_CRUD_CONNINFO"],
        min_size=2,
        max_size=16,
        kwargs={"row_factory": dict_row, "autocommit": True},
    ) as pool:
        app.state.pool = pool
        yield


def create_app() -> Litestar:
    return Litestar([create, read, page, update], lifespan=[lifespan])
