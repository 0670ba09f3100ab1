"""clientes serve: the API, in one or more worker processes, with the projector unless told."""

from __future__ import annotations

import argparse
import os

import uvicorn

from api.bootstrap import prepare_store
from api.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="listen address (default: CLIENTES_HOST, else 127.0.0.1)")
    parser.add_argument("--port", type=int, help="listen port (default: CLIENTES_PORT, else 8000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--access-log", action="store_true", help="log every request (costs throughput)"
    )
    parser.add_argument(
        "--no-projector",
        action="store_true",
        help="do not run the projector in the API processes (run clientes project)",
    )


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    # Once, here, rather than in racing workers; and a store that cannot be used
    # is one line now, not a traceback in every worker.
    prepare_store(settings)
    if args.no_projector:
        # Workers are separate processes that read their settings from the environment.
        os.environ["CLIENTES_PROJECTOR"] = "off"
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        access_log=args.access_log,
        timeout_graceful_shutdown=5,
        server_header=False,  # no software banner
    )
    return 0
