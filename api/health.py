"""Liveness and readiness, public for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import PersistenceError
from litestar import Response, get
from litestar.di import NamedDependency
from psycopg import Error as PsycopgError

from api.errors import problem
from api.services import Services

MAX_LAG = 10_000  # events the read table may be behind and still serve


@get("/health", operation_id="health", exclude_from_auth=True, security=[{}], tags=["health"])
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "up"}


@get(
    "/ready",
    operation_id="ready",
    exclude_from_auth=True,
    security=[{}],
    tags=["health"],
    sync_to_thread=True,
)
def ready(services: NamedDependency[Services]) -> Response[dict[str, Any]]:
    """The store answers and the read table keeps up with the events."""
    try:
        head = services.clientes.recorder.max_notification_id() or 0
        position = services.position or 0
    except (PersistenceError, PsycopgError):
        raise problem(503, "The store is unreachable") from None
    checks = {"head": head, "position": position, "lag": head - position}
    if services.watch.stalled(position, head):
        raise problem(503, "The projection has stopped behind the events", extra=checks)
    if head - position > MAX_LAG:
        raise problem(503, "The projection is catching up", extra=checks)
    return Response({"status": "ready", **checks})
