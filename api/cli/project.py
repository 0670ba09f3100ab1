"""clientes project: the projector alone (and the Redis publisher, when configured)."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from api import logs
from api.bootstrap import bootstrap, prepare_store
from api.settings import Settings

logger = logging.getLogger("clientes")


def run(_: argparse.Namespace) -> int:
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
        stop.wait()
        logger.info("Projector stopping on %s", stopped_by[0] if stopped_by else "request")
    finally:
        services.close()
    logger.info("Projector stopped")
    return 0
