"""The Cliente resource: REST routes onto commands (writes) and the read table (reads)."""

from __future__ import annotations

import math
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, delete, get, post, route
from litestar.di import NamedDependency, Provide
from litestar.enums import HttpMethod
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_304_NOT_MODIFIED

from api.bootstrap import Services
from api.http.auth import Actor
from api.http.bodies import CHANGED_CLIENTE, NEW_CLIENTE
from api.http.conditional import IfMatch, IfNoneMatch, etag, parse_etags
from api.http.filters import provide_filters
from api.http.idempotency import IdempotencyKey, keyed_write
from api.http.numbers import MAX_INT64
from api.http.openapi import ClientesOperation, problems
from api.http.params import PARAMETERS, whole_number
from api.http.schemas import (
    Cliente,
    ClienteCreate,
    ClientePage,
    ClienteUpdate,
)
from commands import Cliente as ClienteAggregate
from commands import ClienteNotFound, CreateCliente, DeactivateCliente, UpdateCliente
from projections.search import ClienteQuery

MAX_OFFSET = 2**62  # keeps page * size within the databases' 64-bit OFFSET
PAGE = PARAMETERS.add(whole_number("page", 0, 2**31 - 1, "Zero-based page number"))
SIZE = PARAMETERS.add(whole_number("size", 1, 100, "Clientes per page"))
VERSION = PARAMETERS.add(
    whole_number("version", 0, MAX_INT64, "Read the Cliente as it was at this version")
)

AuthRequest = Request[Actor, Any, Any]
ClienteId = Annotated[
    int,
    Parameter(
        ge=1,
        le=MAX_INT64,
        description="The Cliente's id",
        schema_extra={"format": "int64", "minimum": 1, "maximum": MAX_INT64},
    ),
]
UPDATES = {HttpMethod.PUT: "updateCliente", HttpMethod.PATCH: "patchCliente"}
NOT_MODIFIED = {304: ResponseSpec(None, description="The Cliente is at a version the client has")}


def one(cliente: Cliente, status_code: int = 200, **headers: str) -> Response[Cliente]:
    return Response(
        cliente, status_code=status_code, headers={"ETag": etag(cliente.version), **headers}
    )


def not_modified(version: int) -> Response[Any]:
    return Response(None, status_code=HTTP_304_NOT_MODIFIED, headers={"ETag": etag(version)})


class ClienteController(Controller):
    path = "/api/clientes"
    tags = ("clientes",)

    @get(
        operation_class=ClientesOperation,
        operation_id="listClientes",
        dependencies={"filters": Provide(provide_filters, sync_to_thread=False)},
        responses=problems(400, 401, 403, 503),
    )
    async def list_clientes(
        self,
        services: NamedDependency[Services],
        filters: NamedDependency[ClienteQuery],
        page: Annotated[int, PAGE.declared()] = 0,
        size: Annotated[int, SIZE.declared()] = 20,
    ) -> ClientePage:
        """Vigente Clientes that match every filter given, in id order unless sort says
        otherwise; the totals count the matches."""
        rows, total = await services.reads.page(filters, min(page * size, MAX_OFFSET), size)
        return ClientePage(
            content=[Cliente.from_row(row) for row in rows],
            total_elements=total,
            total_pages=math.ceil(total / size),
            number=page,
            size=size,
        )

    @get(
        "/{cliente_id:int}",
        operation_class=ClientesOperation,
        operation_id="getCliente",
        responses={**NOT_MODIFIED, **problems(400, 401, 403, 404, 410, 503)},
    )
    async def get_cliente(
        self,
        services: NamedDependency[Services],
        cliente_id: ClienteId,
        version: Annotated[int | None, VERSION.declared()] = None,
        if_none_match: IfNoneMatch = None,
    ) -> Response[Cliente]:
        """One vigente Cliente with its ETag; with ``version``, any Cliente as it was then."""
        conditions = parse_etags(if_none_match, "If-None-Match")
        if version is not None:
            past = await anyio.to_thread.run_sync(services.clientes.cliente_at, cliente_id, version)
            cliente = Cliente.from_aggregate(past)
        else:
            row = await services.reads.get(cliente_id)
            if row is None:
                raise ClienteNotFound(cliente_id)
            cliente = Cliente.from_row(row)
        if conditions is not None and not conditions.none_match(cliente.version):
            return not_modified(cliente.version)
        return one(cliente)

    @post(
        operation_class=ClientesOperation,
        operation_id="createCliente",
        before_request=NEW_CLIENTE,
        responses=problems(400, 401, 403, 408, 409, 410, 413, 415, 422, 429, 503),
    )
    async def create_cliente(
        self,
        services: NamedDependency[Services],
        request: AuthRequest,
        data: JSONBody[ClienteCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Cliente]:
        """Creates a vigente Cliente."""

        def created(cliente: ClienteAggregate) -> Response[Cliente]:
            body = Cliente.from_aggregate(cliente)
            return one(body, HTTP_201_CREATED, Location=f"{self.path}/{body.id}")

        command = CreateCliente(data.fields(), request.user.sub)
        return await keyed_write(services, request, command, idempotency_key, created)

    @route(
        "/{cliente_id:int}",
        http_method=[HttpMethod.PUT, HttpMethod.PATCH],
        operation_class=ClientesOperation,
        operation_id=lambda _, method, __: UPDATES[HttpMethod(method)],
        before_request=CHANGED_CLIENTE,
        responses=problems(400, 401, 403, 404, 408, 409, 410, 412, 413, 415, 422, 429, 503),
    )
    async def update_cliente(
        self,
        services: NamedDependency[Services],
        request: AuthRequest,
        cliente_id: ClienteId,
        data: JSONBody[ClienteUpdate],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Cliente]:
        """Changes the fields present in the body; the others stay (PUT and PATCH alike)."""
        command = UpdateCliente(cliente_id, data.changes(), request.user.sub, versions(if_match))
        return await keyed_write(
            services,
            request,
            command,
            idempotency_key,
            lambda cliente: one(Cliente.from_aggregate(cliente)),
        )

    @delete(
        "/{cliente_id:int}",
        operation_class=ClientesOperation,
        operation_id="deactivateCliente",
        responses=problems(400, 401, 403, 404, 409, 412, 422, 429, 503),
    )
    async def deactivate_cliente(
        self,
        services: NamedDependency[Services],
        request: AuthRequest,
        cliente_id: ClienteId,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[None]:
        """Deactivates a Cliente: gone from reads, its code still taken."""
        command = DeactivateCliente(cliente_id, request.user.sub, versions(if_match))
        return await keyed_write(
            services,
            request,
            command,
            idempotency_key,
            lambda _: Response(None, status_code=HTTP_204_NO_CONTENT),
        )


def versions(if_match: str | None) -> frozenset[int] | None:
    """The versions a conditional write may change, from its If-Match; None: any."""
    tags = parse_etags(if_match, "If-Match")
    return None if tags is None else tags.if_match()
