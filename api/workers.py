"""What the worker processes of one ``clientes serve`` share: a directory of their own.

``serve`` makes it and names it in PROMETHEUS_MULTIPROC_DIR (prometheus-client's
variable, read by every worker): the workers keep their counters there, so any of
them answers /metrics for all, and the slots of their event streams, so the caps
on streams hold across them.
"""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def shared_directory() -> Path | None:
    """The directory the workers of this process's ``clientes serve`` share; None
    in a process of its own (``project``, ``replay``, a test's app)."""
    directory = os.environ.get(MULTIPROCESS_DIR)
    return Path(directory) if directory else None
