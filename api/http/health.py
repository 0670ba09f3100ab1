"""Liveness and readiness, public for load balancers and orchestrators."""

from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from msgspec import UNSET, UnsetType

from api.bootstrap import Services
from api.http.openapi import problems
from api.http.progress import PUBLISHER, READ_TABLE, Lag, progress
from api.http.schemas import Readiness, ReadinessCheck


@get(
    "/health",
    operation_id="health",
    exclude_from_auth=True,
    security=[{}],
    tags=["health"],
    responses=problems(),
)
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
    responses={
        **problems(),
        503: ResponseSpec(Readiness, description="Not ready: the checks say what fails"),
    },
)
def ready(services: NamedDependency[Services]) -> Response[Readiness]:
    """Whether the store answers, and the read table and the publisher keep up, check by check."""
    try:
        now = progress(services)
        checks = {"eventStore": ReadinessCheck(ok=True, position=now.head)}
        checks["readTable"] = read_table(services, now.head, now.projections[READ_TABLE])
        if PUBLISHER in now.projections:
            checks["redisPublisher"] = publisher(services, now.projections[PUBLISHER])
    except services.store.unreachable:
        checks = {"eventStore": ReadinessCheck(ok=False, detail="the store is unreachable")}
    ok = all(check.ok for check in checks.values())
    return Response(
        Readiness(status="ready" if ok else "not ready", checks=checks),
        status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE,
    )


def read_table(services: Services, head: int, lag: Lag) -> ReadinessCheck:
    settings = services.settings
    running = services.projector_running()
    stalled = services.stall.stalled(lag.position, head)
    return checked(
        lag,
        running=running,
        problems=[
            ("no projector is running", not running),
            ("the projection has stopped behind the events", stalled),
            *bounds(lag, settings.ready_max_lag_events, settings.ready_max_lag_seconds),
        ],
    )


def publisher(services: Services, lag: Lag) -> ReadinessCheck:
    bound = services.settings.ready_max_publisher_lag
    return checked(lag, problems=bounds(lag, bound, None))


def bounds(lag: Lag, events: int, seconds: float | None) -> list[tuple[str, bool]]:
    found = [(f"more than {events} events behind", lag.events > events)]
    if seconds is not None:
        found.append((f"more than {seconds:g} s behind", lag.seconds > seconds))
    return found


def checked(
    lag: Lag, problems: list[tuple[str, bool]], running: bool | UnsetType = UNSET
) -> ReadinessCheck:
    failing = [problem for problem, failed in problems if failed]
    return ReadinessCheck(
        ok=not failing,
        position=lag.position,
        lag_events=lag.events,
        lag_seconds=lag.seconds,
        running=running,
        **({"detail": "; ".join(failing)} if failing else {}),
    )
