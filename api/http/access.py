"""Around every HTTP request: its id, its access log line and its metrics."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType

from api import logs
from api.http import request_ids
from api.http.metrics import observe_request

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("clientes.access")


def observed(app: ASGIApp, *, metrics: bool, logged: bool) -> ASGIApp:
    """``app`` answering with X-Request-ID, logging one line per request and counting it
    (each of the two unless turned off)."""

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        rid = request_ids.request_id(given)
        reset = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500  # unless the app answers

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders(message)[request_ids.HEADER] = rid
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            record_request(
                scope["method"],
                scope.get("path_template"),
                scope["path"],
                status,
                seconds,
                rid,
                metrics=metrics,
                logged=logged,
            )
            logs.request_id.reset(reset)

    return handler


def record_request(
    method: str,
    route: str | None,
    path: str,
    status: int,
    seconds: float,
    rid: str,
    *,
    metrics: bool,
    logged: bool,
) -> None:
    """Counts an answered request and writes its access line (each unless turned off)."""
    if metrics:
        observe_request(method, route, status, seconds)
    if logged:
        reset = logs.request_id.set(rid)
        access_log.info(
            "%s %s %s",
            method,
            route or path,
            status,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
            },
        )
        logs.request_id.reset(reset)
