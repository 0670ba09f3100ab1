"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

import anyio
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.plugins.problem_details import ProblemDetailsPlugin

from api import logs
from api.bootstrap import Services, bootstrap
from api.http.access import observed
from api.http.auth import jwt_auth, require_scope
from api.http.clientes import ClienteController
from api.http.docs_ui import docs_assets
from api.http.erasure import ErasureController
from api.http.errors import not_found, problem_details
from api.http.events import EventController, streams_end_on_stop_signal
from api.http.health import health, ready
from api.http.history import ClienteHistoryController
from api.http.methods import head_and_allow
from api.http.metrics import metrics
from api.http.openapi import StrictSchemas, openapi_config
from api.http.params import PARAMETERS
from api.http.request_ids import HEADER as REQUEST_ID
from api.http.schemas import MAX_BODY
from api.http.security_headers import security_headers
from api.settings import Settings

GC_THRESHOLD = 10_000  # objects made before the cycle collector looks (Python 3.11: 700)


def provide_services(state: State) -> Services:
    services: Services = state.services
    return services


def create_app(settings: Settings | None = None, *, projector: bool | None = None) -> Litestar:
    """The API over the store ``settings`` names (read from the environment when omitted).

    The projector runs in this process unless ``projector`` (or the settings) say otherwise.
    """
    own_process = settings is None  # a worker of `clientes serve`
    if settings is None:
        logs.configure()
        settings = Settings.from_env()
    run_projector = settings.projector if projector is None else projector

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        services = await anyio.to_thread.run_sync(
            lambda: bootstrap(settings, api=True, projector=run_projector)
        )
        services.start(asyncio.get_running_loop())
        app.state.services = services
        await services.reads.open()
        if own_process:
            # What start-up made lasts as long as the process: frozen, it is left out of
            # the collector's full passes, which walked all of it and held requests up.
            # Each request makes and drops thousands of objects: the collector's first
            # pass waits for GC_THRESHOLD of them rather than 700 (measured: GETs 4%
            # faster).
            gc.freeze()
            gc.set_threshold(GC_THRESHOLD)
        try:
            with streams_end_on_stop_signal(services.head):
                yield
        finally:
            await services.reads.close()
            await anyio.to_thread.run_sync(services.close)

    api = Router(
        path="/",
        route_handlers=[
            ClienteController,
            ClienteHistoryController,
            ErasureController,
            EventController,
        ],
        guards=[require_scope, PARAMETERS.check],
    )
    public = [health, ready, *([metrics] if settings.metrics else [])]
    app = Litestar(
        route_handlers=[api, *public, docs_assets()],
        lifespan=[lifespan],
        dependencies={"services": Provide(provide_services, sync_to_thread=False)},
        on_app_init=[jwt_auth(settings).on_app_init],
        plugins=[ProblemDetailsPlugin(problem_details(settings.store)), StrictSchemas()],
        exception_handlers={NotFoundException: not_found},
        request_max_body_size=MAX_BODY,
        openapi_config=openapi_config(version("clientes")),
        cors_config=cors(settings.cors_origins),
        logging_config=None,  # api/logs.py configures logging, once per process
    )
    PARAMETERS.declare_for(app)
    app.asgi_handler = security_headers(
        observed(head_and_allow(app), metrics=settings.metrics, logged=settings.access_log)
    )
    return app


def cors(origins: tuple[str, ...]) -> CORSConfig | None:
    """Browsers on ``origins`` may call the API; with none, no CORS headers at all."""
    if not origins:
        return None
    return CORSConfig(
        allow_origins=list(origins),
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match", REQUEST_ID],
        expose_headers=["ETag", "Location", "Idempotent-Replayed", "Retry-After", REQUEST_ID],
    )
