"""clientes serve: the API, in one or more worker processes, with the projector unless told."""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from api import logs
from api.bootstrap import prepare_store
from api.http.request_heads import LimitedHttpToolsProtocol
from api.settings import Settings
from api.workers import MULTIPROCESS_DIR

METRICS_PREFIX = "clientes-metrics-"  # then the pid of the serve that made it


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="listen address (default: CLIENTES_HOST, else 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (default: CLIENTES_PORT, else 8000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--no-projector",
        action="store_true",
        help="do not run the projector in the API processes (run clientes project)",
    )


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    # Once, here, rather than in racing workers; and a store that cannot be used
    # is one line now, not a traceback in every worker.
    prepare_store(settings.store)
    if args.no_projector:
        # Workers are separate processes that read their settings from the environment.
        os.environ["CLIENTES_PROJECTOR"] = "off"
    # uvicorn raises the stop signal again once it has shut down: taken as asked,
    # it ends serve with status 0 rather than killing it.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    with shared_directory():
        uvicorn.run(
            "api.http.app:create_app",
            factory=True,
            host=args.host or settings.host,
            port=args.port or settings.port,
            workers=args.workers,
            loop="uvloop",
            http=LimitedHttpToolsProtocol,  # httptools, with limits on the request head
            log_config=logs.logging_config(),
            access_log=False,  # the app logs one line per request, with its id
            timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout),
            server_header=False,  # no software banner
        )
    return 0


@contextmanager
def shared_directory() -> Iterator[None]:
    """A fresh directory the workers share, removed when serve stops: where they keep
    their counters and the slots of their event streams.

    Every worker (and a worker uvicorn restarts) adds to the same totals, so
    /metrics answered by any of them sums them all; the caps on event streams
    hold across them. A serve that was killed could not remove its directory:
    the next one removes it.
    """
    sweep_metrics_directories(Path(tempfile.gettempdir()))
    directory = tempfile.mkdtemp(prefix=f"{METRICS_PREFIX}{os.getpid()}-")
    os.environ[MULTIPROCESS_DIR] = directory
    # prometheus-client picks its way of counting on import: pick again, should it be imported.
    from prometheus_client import values  # noqa: PLC0415

    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def sweep_metrics_directories(parent: Path) -> None:
    """Removes the metrics directories of serve processes that are gone."""
    for directory in parent.glob(f"{METRICS_PREFIX}*-*"):
        pid = directory.name.removeprefix(METRICS_PREFIX).partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's
    return True
