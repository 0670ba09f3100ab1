"""The status file of `clientes project`, and the health check that reads it.

The projector process rewrites the file every few seconds with what each of its
projectors is doing; `clientes project --health`, run beside it (a container's
health check), reads it: healthy when the file is fresh and every projector's
thread went round its loop lately, whether it projects or stands by.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import msgspec

from projections.runner import Projector

EVERY = 5.0  # seconds between writes of the file
STALE = 30.0  # seconds after which a file, or a projector's loop, is too old


def default_path() -> Path:
    """Where the file is unless --status-file says otherwise: one per host (container)."""
    return Path(tempfile.gettempdir(), "clientes-project.status")


class ProjectionStatus(msgspec.Struct, frozen=True):
    name: str  # the projection: clientes, or redis (the publisher)
    state: str  # active, standing by, or interrupted (retrying until the store is back)
    alive_at: float  # when its thread last went round its loop (Unix time)


class Status(msgspec.Struct, frozen=True):
    pid: int
    written_at: float  # Unix time
    projections: list[ProjectionStatus]


def write(path: Path, projectors: dict[str, Projector]) -> None:
    """Replaces the file at once (renamed into place), so a reader never sees half of it."""
    status = Status(
        pid=os.getpid(),
        written_at=time.time(),
        projections=[
            ProjectionStatus(name, projector.state, projector.alive_at)
            for name, projector in projectors.items()
        ],
    )
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_bytes(msgspec.json.encode(status))
    partial.replace(path)


def problems(path: Path, now: float, stale: float = STALE) -> tuple[list[str], str]:
    """What makes the projector unhealthy (nothing: healthy), and a line on its state."""
    try:
        status = msgspec.json.decode(path.read_bytes(), type=Status)
    except FileNotFoundError:
        return [f"no status in {path}: no clientes project runs here, or it is starting"], ""
    except (OSError, msgspec.DecodeError) as error:
        return [f"the status in {path} cannot be read: {error}"], ""
    found = []
    if now - status.written_at > stale:
        found.append(f"the status was written {now - status.written_at:.0f} s ago")
    for projection in status.projections:
        if projection.state == "interrupted":
            found.append(f"projection {projection.name} is interrupted, retrying")
        if now - projection.alive_at > stale:
            found.append(
                f"projection {projection.name} has not gone round its loop for "
                f"{now - projection.alive_at:.0f} s"
            )
    states = ", ".join(f"{p.name} {p.state}" for p in status.projections)
    return found, f"clientes project (pid {status.pid}): {states}"
