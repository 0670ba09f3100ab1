"""Erasing a Cliente's personal data: POST /api/clientes/{id}/erasure.

The command records ClienteErased and destroys the key its personal values were
sealed with (commands/sealing.py), in one transaction; afterwards no read of
the service shows them. It needs a scope of its own, clientes:erase.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT
from msgspec import Meta

from api.bootstrap import Services
from api.http.auth import ERASE, Actor
from api.http.bodies import ERASURE
from api.http.clientes import ClienteId, versions
from api.http.conditional import IfMatch
from api.http.idempotency import IdempotencyKey, keyed_write
from api.http.openapi import ClientesOperation, problems
from api.http.schemas import Schema
from commands import EraseCliente
from commands.validation import REASON


class Erasure(Schema):
    """Why the person's data is erased: kept in the Cliente's history, so it must hold
    no personal data itself (a request number, the law it is made under)."""

    reason: Annotated[
        str, Meta(pattern=REASON.pattern, description="1 to 500 characters, after trimming")
    ]


class ErasureController(Controller):
    path = "/api/clientes/{cliente_id:int}/erasure"
    tags = ("clientes",)

    @post(
        operation_class=ClientesOperation,
        operation_id="eraseCliente",
        status_code=HTTP_204_NO_CONTENT,
        before_request=ERASURE,
        opt={"scope": ERASE},
        responses=problems(400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 503),
    )
    async def erase_cliente(
        self,
        services: NamedDependency[Services],
        request: Request[Actor, Any, Any],
        cliente_id: ClienteId,
        data: JSONBody[Erasure],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[None]:
        """Erases the Cliente's personal data, vigente or deactivated: its name, document
        number, address, phone, e-mail and representative, in every event and every copy.
        The Cliente stays in its history with those fields null; its code stays taken."""
        command = EraseCliente(cliente_id, data.reason, request.user.sub, versions(if_match))
        return await keyed_write(
            services,
            request,
            command,
            idempotency_key,
            lambda _: Response(None, status_code=HTTP_204_NO_CONTENT),
        )
