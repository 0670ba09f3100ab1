"""A Cliente's audit trail, read from the event store: every change, who made it and when."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.bootstrap import Services
from api.clientes import ClienteId
from api.openapi import ClientesOperation, problems
from api.schemas import ClienteHistory, HistoryEntry

MAX_HISTORY = 1000


class ClienteHistoryController(Controller):
    path = "/api/clientes/{cliente_id:int}/history"
    tags = ("clientes",)

    @get(
        "/",
        operation_class=ClientesOperation,
        operation_id="getClienteHistory",
        sync_to_thread=True,
        responses=problems(400, 401, 403, 404, 503),
    )
    def get_history(
        self,
        services: NamedDependency[Services],
        cliente_id: ClienteId,
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
        events = services.clientes.history(cliente_id, after_version, limit)
        return ClienteHistory(
            cliente_id=cliente_id, events=[HistoryEntry.from_event(e) for e in events]
        )
