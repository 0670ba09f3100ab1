"""clientes project: the projector alone (and the Redis publisher, when configured), and
its health check."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from api import logs
from api.bootstrap import Services, bootstrap, prepare_store
from api.cli import project_status
from api.settings import Settings

logger = logging.getLogger("clientes")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--health",
        action="store_true",
        help="check the clientes project running on this host (its status file) instead of "
        "running one: exit 0 if it projects or stands by and its threads go round, 1 if not",
    )
    parser.add_argument(
        "--status-file",
        type=Path,
        metavar="PATH",
        help="where the projector writes what it is doing every "
        f"{project_status.EVERY:.0f} s, and --health reads it "
        f"(default: {project_status.default_path().name} in the temporary directory)",
    )


def run(args: argparse.Namespace) -> int:
    path = args.status_file or project_status.default_path()
    if args.health:
        return health(path)
    logs.configure()
    settings = Settings.from_env(with_secret=False)
    prepare_store(settings.store)
    stop = threading.Event()
    stopped_by: list[str] = []

    def stop_on(signum: int, _: object) -> None:
        stopped_by.append(signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop_on)
    services = bootstrap(settings, api=False, projector=True)
    try:
        services.start()
        if settings.redis_url is not None:
            logger.info("Publishing to the Redis stream %s", settings.redis_stream)
        logger.info(
            "Projector started (it says whether it is active or stands by); stop it "
            "with Ctrl-C or SIGTERM"
        )
        report_until(stop, path, services)
        logger.info("Projector stopping on %s", stopped_by[0] if stopped_by else "request")
    finally:
        path.unlink(missing_ok=True)
        services.close()
    logger.info("Projector stopped")
    return 0


def report_until(stop: threading.Event, path: Path, services: Services) -> None:
    """Writes the status file now and every few seconds, until ``stop``."""
    projectors = {"clientes": services.projector, "redis": services.publisher}
    running = {name: projector for name, projector in projectors.items() if projector}
    while True:
        project_status.write(path, running)
        if stop.wait(project_status.EVERY):
            return


def health(path: Path) -> int:
    """Says in one line whether the projector writing ``path`` is healthy; 0 if it is."""
    found, state = project_status.problems(path, time.time())
    if found:
        print(f"clientes project unhealthy: {'; '.join(found)}", file=sys.stderr)
        return 1
    print(state)
    return 0
