"""The Cliente resource: REST routes onto commands (writes) and the read table (reads)."""

from __future__ import annotations

import math
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from api.auth import Actor
from api.numbers import int64
from api.openapi import problems
from api.schemas import (
    Cliente,
    ClienteCreate,
    ClienteHistory,
    ClientePage,
    ClienteUpdate,
    HistoryEntry,
)
from api.services import Services
from commands import ClienteNotFound

MAX_HISTORY = 1000
MAX_OFFSET = 2**62  # keeps page * size within the databases' 64-bit OFFSET

AuthRequest = Request[Actor, Any, Any]
IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description='The ETag the change is based on, e.g. "3"'),
]


def parse_id(raw: str) -> int:
    """A positive 64-bit id; anything else names no Cliente."""
    if cliente_id := int64(raw):
        return cliente_id
    raise ClienteNotFound(raw)


def parse_if_match(header: str | None) -> frozenset[int] | None:
    """The versions an If-Match accepts; None when any will do.

    Only strong entity tags can match; anything unreadable matches nothing.
    """
    if header is None or header.strip() == "*":
        return None
    tags = (tag.strip() for tag in header.split(","))
    versions = (int64(tag[1:-1]) for tag in tags if len(tag) > 2 and tag[0] == tag[-1] == '"')
    return frozenset(version for version in versions if version is not None)


def one(cliente: Cliente, status_code: int = 200, **headers: str) -> Response[Cliente]:
    return Response(
        cliente, status_code=status_code, headers={"ETag": f'"{cliente.version}"', **headers}
    )


class ClienteController(Controller):
    path = "/api/clientes"
    tags = ("clientes",)

    @get(operation_id="listClientes", sync_to_thread=True, responses=problems(400, 401, 403))
    def list_clientes(
        self,
        services: NamedDependency[Services],
        page: Annotated[int, QueryParameter(ge=0, description="Zero-based page number")] = 0,
        size: Annotated[int, QueryParameter(ge=1, le=100, description="Clientes per page")] = 20,
    ) -> ClientePage:
        """Vigente Clientes, in id order."""
        rows, total = services.view.page(min(page * size, MAX_OFFSET), size)
        return ClientePage(
            content=[Cliente.from_row(row) for row in rows],
            total_elements=total,
            total_pages=math.ceil(total / size),
            number=page,
            size=size,
        )

    @get("/{cliente_id:str}", operation_id="getCliente", responses=problems(400, 401, 403, 404))
    async def get_cliente(
        self,
        services: NamedDependency[Services],
        cliente_id: FromPath[str],
        version: Annotated[
            int | None,
            QueryParameter(description="Read the Cliente as it was at this version"),
        ] = None,
    ) -> Response[Cliente]:
        """One vigente Cliente with its ETag; with ``version``, any Cliente as it was then."""
        number = parse_id(cliente_id)
        if version is not None:
            past = await anyio.to_thread.run_sync(services.clientes.cliente_at, number, version)
            return one(Cliente.from_aggregate(past))
        row = await anyio.to_thread.run_sync(services.view.get, number)
        if row is None:
            raise ClienteNotFound(cliente_id)
        return one(Cliente.from_row(row))

    @get(
        "/{cliente_id:str}/history",
        operation_id="getClienteHistory",
        sync_to_thread=True,
        responses=problems(400, 401, 403, 404),
    )
    def get_history(
        self,
        services: NamedDependency[Services],
        cliente_id: FromPath[str],
        after_version: Annotated[
            int,
            QueryParameter(name="afterVersion", ge=0, description="Events after this version"),
        ] = 0,
        limit: Annotated[
            int,
            QueryParameter(ge=1, le=MAX_HISTORY, description="Events per page (at most 1000)"),
        ] = MAX_HISTORY,
    ) -> ClienteHistory:
        """The Cliente's audit trail, oldest first, vigente or not.

        A page holds at most ``limit`` events; for the next, pass the last
        version as ``afterVersion``.
        """
        number = parse_id(cliente_id)
        events = services.clientes.history(number, after_version, limit)
        return ClienteHistory(
            cliente_id=number, events=[HistoryEntry.from_event(e) for e in events]
        )

    @post(operation_id="createCliente", responses=problems(400, 401, 403, 409, 413, 503))
    async def create_cliente(
        self,
        services: NamedDependency[Services],
        request: AuthRequest,
        data: JSONBody[ClienteCreate],
    ) -> Response[Cliente]:
        """Creates a vigente Cliente."""
        written = await services.write(
            services.clientes.create_cliente, data.fields(), request.user.sub
        )
        cliente = Cliente.from_aggregate(written.cliente)
        return one(cliente, HTTP_201_CREATED, Location=f"{self.path}/{cliente.id}")

    @put(
        "/{cliente_id:str}",
        operation_id="updateCliente",
        responses=problems(400, 401, 403, 404, 409, 412, 413, 503),
    )
    async def update_cliente(
        self,
        services: NamedDependency[Services],
        request: AuthRequest,
        cliente_id: FromPath[str],
        data: JSONBody[ClienteUpdate],
        if_match: IfMatch = None,
    ) -> Response[Cliente]:
        """Changes the fields present in the body; the others stay."""
        return await _update(services, request, cliente_id, data, if_match)

    @patch(
        "/{cliente_id:str}",
        operation_id="patchCliente",
        responses=problems(400, 401, 403, 404, 409, 412, 413, 503),
    )
    async def patch_cliente(
        self,
        services: NamedDependency[Services],
        request: AuthRequest,
        cliente_id: FromPath[str],
        data: JSONBody[ClienteUpdate],
        if_match: IfMatch = None,
    ) -> Response[Cliente]:
        """The same as PUT: a partial update."""
        return await _update(services, request, cliente_id, data, if_match)

    @delete(
        "/{cliente_id:str}",
        operation_id="deactivateCliente",
        responses=problems(401, 403, 404, 412, 503),
    )
    async def deactivate_cliente(
        self,
        services: NamedDependency[Services],
        request: AuthRequest,
        cliente_id: FromPath[str],
        if_match: IfMatch = None,
    ) -> None:
        """Deactivates a Cliente: gone from reads, its code still taken."""
        await services.write(
            services.clientes.deactivate_cliente,
            parse_id(cliente_id),
            request.user.sub,
            parse_if_match(if_match),
        )


async def _update(
    services: Services,
    request: AuthRequest,
    cliente_id: str,
    data: ClienteUpdate,
    if_match: str | None,
) -> Response[Cliente]:
    written = await services.write(
        services.clientes.update_cliente,
        parse_id(cliente_id),
        data.changes(),
        request.user.sub,
        parse_if_match(if_match),
    )
    return one(Cliente.from_aggregate(written.cliente))
