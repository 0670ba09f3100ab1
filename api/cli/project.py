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
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    services = bootstrap(settings, api=False, projector=True)
    try:
        services.start()
        if settings.redis_url is not None:
            logger.info("Publishing to the Redis stream %s", settings.redis_stream)
        logger.info("Projector running; stop it with Ctrl-C or SIGTERM")
        stop.wait()
    finally:
        services.close()
    return 0
