"""A Cliente's audit trail, read from the event store: every change, who made it and when."""

from __future__ import annotations

from typing import Annotated, cast

from litestar import Controller, get
from litestar.di import NamedDependency

from api.bootstrap import Services
from api.http.clientes import ClienteId
from api.http.openapi import ClientesOperation, problems
from api.http.params import LIMIT, PARAMETERS, whole_number
from api.http.schemas import ClienteHistory, HistoryEntry
from commands import ClienteEvent, ClienteNotFound, cliente_aggregate_id
from commands.application import MAX_VERSION

MAX_HISTORY = 1000
AFTER_VERSION = PARAMETERS.add(
    whole_number("afterVersion", 0, MAX_VERSION, "The events after this version")
)


class ClienteHistoryController(Controller):
    path = "/api/clientes/{cliente_id:int}/history"
    tags = ("clientes",)

    @get(
        "/",
        operation_class=ClientesOperation,
        operation_id="getClienteHistory",
        responses=problems(400, 401, 403, 404, 503),
    )
    async def get_history(
        self,
        services: NamedDependency[Services],
        cliente_id: ClienteId,
        after_version: Annotated[int, AFTER_VERSION.declared()] = 0,
        limit: Annotated[int, LIMIT.declared()] = MAX_HISTORY,
    ) -> ClienteHistory:
        """The Cliente's audit trail, oldest first, vigente or not.

        A page holds at most ``limit`` events; for the next, pass the last
        version as ``afterVersion``.
        """
        events = await read_history(services, cliente_id, after_version, limit)
        return ClienteHistory(
            cliente_id=cliente_id, events=[HistoryEntry.from_event(e) for e in events]
        )


async def read_history(
    services: Services, cliente_id: int, after_version: int, limit: int
) -> list[ClienteEvent]:
    """The Cliente's events after ``after_version``, read without leaving the event loop
    where the store allows it (as ``Clientes.history`` reads them in a thread)."""
    aggregate_id = cliente_aggregate_id(cliente_id)
    stored = await services.reads.events(aggregate_id, min(after_version, MAX_VERSION), limit)
    if not stored and not await services.reads.events(aggregate_id, 0, 1):
        raise ClienteNotFound(cliente_id)
    keys = await services.reads.data_keys([aggregate_id])  # the one key its events need
    events = services.clientes.mapper.to_domain_events(stored, keys)
    return cast(list[ClienteEvent], events)  # a Cliente's stream: its events
