"""The plain CRUD baseline: the service's contract over one table, as a straightforward
service does it.

Plain CRUD at its core: one table written in place (INSERT, UPDATE, an UPDATE
that deactivates), read by id, and a list that counts with ``count(*)`` and
pages with OFFSET. Around that core it does the work the contract demands of any
implementation, with the service's own parts: the same JWT middleware and scope
guard (api/http/auth.py: a token for every route, clientes:read for GET,
clientes:write for the others), the same request Structs and field rules
(api/http/schemas.py, commands/validation.py), the same access line per request
(api/http/access.py, on or off by CLIENTES_ACCESS_LOG as the service's), the same
collector tuning after start-up, connection pools of the service's sizes, and
uvicorn started with the arguments ``clientes serve`` gives it. It reads the
service's settings (CLIENTES_DATABASE_URL, CLIENTES_JWT_SECRET, ...).

    .venv/bin/python -m bench.crud --port 8001 [--workers 1]

The service never imports this module.
"""

from __future__ import annotations

import argparse
import gc
import math
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any, cast

import uvicorn
from litestar import Litestar, Request, Response, Router, delete, get, post, route
from litestar.enums import HttpMethod
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.params import JSONBody
from psycopg import AsyncConnection, errors
from psycopg.conninfo import make_conninfo
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from api import logs
from api.http.access import observed
from api.http.app import GC_THRESHOLD
from api.http.auth import jwt_auth, require_scope
from api.http.clientes import PAGE, SIZE, ClienteId
from api.http.conditional import etag
from api.http.request_heads import LimitedHttpToolsProtocol
from api.http.schemas import Cliente, ClienteCreate, ClientePage, ClienteUpdate
from api.settings import Settings
from commands import ValidationFailed, validate
from commands.validation import FIELDS
from projections.envelopes import API_NAMES
from stores.postgres import PostgresStore

TABLE = "crud_clientes"
COLUMNS = ("id", *FIELDS, "vigente", "version", "fecha_creacion", "fecha_modificacion")
RETURNING = f" RETURNING {', '.join(COLUMNS)}"
SELECT = f"SELECT {', '.join(COLUMNS)} FROM {TABLE}"
INSERT = (
    f"INSERT INTO {TABLE} ({', '.join(FIELDS)}) VALUES ({', '.join(['%s'] * len(FIELDS))})"
    + RETURNING
)
UPDATE = (
    f"UPDATE {TABLE} SET {', '.join(f'{name} = %s' for name in FIELDS)},"
    " version = version + 1, fecha_modificacion = now() WHERE id = %s" + RETURNING
)
DEACTIVATE = (
    f"UPDATE {TABLE} SET vigente = false, version = version + 1, fecha_modificacion = now()"
    " WHERE id = %s AND vigente"
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
# The service's sizes for the same work: its reads' pool (stores/postgres/reads.py)
# and the event store's pool its writes go through (eventsourcing's POSTGRES_POOL_SIZE
# 5 and POSTGRES_MAX_OVERFLOW 10, which the service leaves as they are).
READ_POOL = (2, 16)
WRITE_POOL = (5, 15)

Pool = AsyncConnectionPool[AsyncConnection[DictRow]]


def _pools(request: Request[Any, Any, Any]) -> tuple[Pool, Pool]:
    pools: tuple[Pool, Pool] = request.app.state.pools
    return pools


def _valid(values: Mapping[str, str | None]) -> list[str | None]:
    """The values of every field, checked and trimmed by the service's rules; a 400
    naming every offending field."""
    try:
        datos = validate(values)
    except ValidationFailed as failed:
        problems = [{"field": API_NAMES[e.field], "message": e.message} for e in failed.errors]
        raise ValidationException("Invalid fields", extra=problems) from None
    return [getattr(datos, name) for name in FIELDS]


def _one(row: DictRow, status_code: int = 200) -> Response[Cliente]:
    cliente = Cliente(**row)
    return Response(cliente, status_code=status_code, headers={"ETag": etag(cliente.version)})


@post("/api/clientes")
async def create(
    request: Request[Any, Any, Any], data: JSONBody[ClienteCreate]
) -> Response[Cliente]:
    values = _valid(data.fields())
    async with _pools(request)[1].connection() as conn:
        try:
            row = await (await conn.execute(INSERT, values, prepare=True)).fetchone()
        except errors.UniqueViolation:
            raise HTTPException(status_code=409, detail="codigoCliente is taken") from None
    return _one(cast(DictRow, row), 201)


@get("/api/clientes/{cliente_id:int}")
async def read(request: Request[Any, Any, Any], cliente_id: ClienteId) -> Response[Cliente]:
    async with _pools(request)[0].connection() as conn:
        cursor = await conn.execute(
            f"{SELECT} WHERE id = %s AND vigente", (cliente_id,), prepare=True
        )
        row = await cursor.fetchone()
    if row is None:
        raise NotFoundException(f"No vigente Cliente {cliente_id}")
    return _one(row)


@get("/api/clientes")
async def page(
    request: Request[Any, Any, Any],
    page: Annotated[int, PAGE.declared()] = 0,
    size: Annotated[int, SIZE.declared()] = 20,
) -> ClientePage:
    async with _pools(request)[0].connection() as conn:
        counted = await conn.execute(f"SELECT count(*) FROM {TABLE} WHERE vigente", prepare=True)
        total = int((await counted.fetchone() or {"count": 0})["count"])
        cursor = await conn.execute(
            f"{SELECT} WHERE vigente ORDER BY id LIMIT %s OFFSET %s",
            (size, page * size),
            prepare=True,
        )
        rows = await cursor.fetchall()
    content = [Cliente(**row) for row in rows]
    return ClientePage(
        content=content,
        total_elements=total,
        total_pages=math.ceil(total / size),
        number=page,
        size=size,
    )


@route("/api/clientes/{cliente_id:int}", http_method=[HttpMethod.PUT, HttpMethod.PATCH])
async def update(
    request: Request[Any, Any, Any], cliente_id: ClienteId, data: JSONBody[ClienteUpdate]
) -> Response[Cliente]:
    """The fields sent change, the others stay; the result obeys the same rules as a new
    Cliente (read, merged, checked and written back in one transaction)."""
    async with _pools(request)[1].connection() as conn, conn.transaction():
        cursor = await conn.execute(
            f"{SELECT} WHERE id = %s AND vigente FOR UPDATE", (cliente_id,), prepare=True
        )
        if (current := await cursor.fetchone()) is None:
            raise NotFoundException(f"No vigente Cliente {cliente_id}")
        merged = {name: current[name] for name in FIELDS} | data.changes()
        cursor = await conn.execute(UPDATE, [*_valid(merged), cliente_id], prepare=True)
        row = await cursor.fetchone()
    return _one(cast(DictRow, row))


@delete("/api/clientes/{cliente_id:int}")
async def deactivate(request: Request[Any, Any, Any], cliente_id: ClienteId) -> None:
    async with _pools(request)[1].connection() as conn:
        cursor = await conn.execute(DEACTIVATE, (cliente_id,), prepare=True)
    if cursor.rowcount == 0:
        raise NotFoundException(f"No vigente Cliente {cliente_id}")


@get("/health", exclude_from_auth=True)
async def health(request: Request[Any, Any, Any]) -> dict[str, str]:
    async with _pools(request)[0].connection() as conn:
        await conn.execute("SELECT 1")
    return {"status": "ok"}


def create_app(settings: Settings | None = None) -> Litestar:
    """The baseline over the table in the store ``settings`` names (read from the
    environment when omitted, as the service's workers read theirs)."""
    own_process = settings is None
    if settings is None:
        logs.configure()
        settings = Settings.from_env()
    store = settings.store
    if not isinstance(store, PostgresStore):
        raise SystemExit("the baseline runs on PostgreSQL only")
    conninfo = make_conninfo(store.conninfo, options=f"-c search_path={store.schema}")

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        kwargs = {"row_factory": dict_row, "autocommit": True}
        (r_min, r_max), (w_min, w_max) = READ_POOL, WRITE_POOL
        async with (
            Pool(conninfo, min_size=r_min, max_size=r_max, kwargs=kwargs, open=False) as reads,
            Pool(conninfo, min_size=w_min, max_size=w_max, kwargs=kwargs, open=False) as writes,
        ):
            app.state.pools = (reads, writes)
            if own_process:  # as the service's workers do (api/http/app.py)
                gc.freeze()
                gc.set_threshold(GC_THRESHOLD)
            yield

    api = Router("/", route_handlers=[create, read, page, update, deactivate])
    app = Litestar(
        [Router("/", route_handlers=[api], guards=[require_scope]), health],
        lifespan=[lifespan],
        on_app_init=[jwt_auth(settings).on_app_init],
        logging_config=None,
    )
    app.asgi_handler = observed(app.asgi_handler, metrics=False, logged=settings.access_log)
    return app


def main(argv: list[str] | None = None) -> None:
    """Serves the baseline with the uvicorn arguments ``clientes serve`` passes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    uvicorn.run(
        "bench.crud:create_app",
        factory=True,
        host=settings.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http=LimitedHttpToolsProtocol,
        log_config=logs.logging_config(),
        access_log=False,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout),
        server_header=False,
    )


if __name__ == "__main__":
    main()
