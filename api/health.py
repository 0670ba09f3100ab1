"""Liveness and readiness, public for load balancers and orchestrators."""

from __future__ import annotations

from datetime import UTC, datetime

from eventsourcing.persistence import PersistenceError
from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from psycopg import Error as PsycopgError

from api.bootstrap import Services
from api.schemas import Readiness, ReadinessCheck

MAX_LAG = 10_000  # events the read table may be behind and still serve
MAX_LAG_SECONDS = 30.0  # how old the oldest event it has not applied may be


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
    responses={503: ResponseSpec(Readiness, description="Not ready: the checks say what fails")},
)
def ready(services: NamedDependency[Services]) -> Response[Readiness]:
    """Whether the store answers and the read table keeps up, check by check."""
    try:
        head = services.clientes.recorder.max_notification_id() or 0
        checks = {
            "eventStore": ReadinessCheck(ok=True, position=head),
            "readTable": read_table(services, head),
        }
    except (PersistenceError, PsycopgError):
        checks = {"eventStore": ReadinessCheck(ok=False, detail="the store is unreachable")}
    ok = all(check.ok for check in checks.values())
    return Response(
        Readiness(status="ready" if ok else "not ready", checks=checks),
        status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE,
    )


def read_table(services: Services, head: int) -> ReadinessCheck:
    position = services.position or 0
    lag = head - position
    oldest = services.oldest_unapplied(position) if lag else None
    seconds = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
    running = services.projector_running()
    problems = [
        problem
        for problem, failing in (
            ("no projector is running", not running),
            (
                "the projection has stopped behind the events",
                services.stall.stalled(position, head),
            ),
            (f"more than {MAX_LAG} events behind", lag > MAX_LAG),
            (f"more than {MAX_LAG_SECONDS:.0f} s behind", seconds > MAX_LAG_SECONDS),
        )
        if failing
    ]
    return ReadinessCheck(
        ok=not problems,
        position=position,
        lag_events=lag,
        lag_seconds=round(max(seconds, 0.0), 3),
        running=running,
        **({"detail": "; ".join(problems)} if problems else {}),
    )
