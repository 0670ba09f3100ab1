"""The two servers under load, started alike: the service and the CRUD baseline.

Both run on uvicorn with the arguments ``clientes serve`` gives it (uvloop, the
service's httptools protocol with its limits, its logging, the same worker
count), read the same settings from the same environment, and write an access
line per request; the service through ``clientes serve``, the baseline through
``python -m bench.crud``. The service runs in its production shape, as
compose.yaml runs it: its projector in a process of its own, which publishes the
events to a Redis of the run's own. Every process dies with the bench, however
the bench ends."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from bench import profile

BIN = Path(sys.executable).parent
PR_SET_PDEATHSIG = 1
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Process:
    """A process of ``command``, its output kept, stopped with SIGTERM on exit."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.command = command
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by running()

    @contextmanager
    def running(self) -> Iterator[Self]:
        """The process, started (and ready); stopped afterwards."""
        try:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=ROOT,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - started before any thread
            )
            self._wait_until_ready()
            yield self
        finally:
            self._stop()

    def _wait_until_ready(self) -> None:
        pass

    def _stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def pids(self) -> list[int]:
        """The process and its children (uvicorn's workers)."""
        return profile.family(self.process.pid) if self.process is not None else []

    def peak_rss_mb(self) -> float:
        """The highest peak resident set size among the process and its children, in MB."""
        return max((profile.peak_rss_mb(pid) for pid in self.pids()), default=0.0)


class Server(Process):
    """A server process on a free port; ``ready`` is the path that answers 200 once
    it can take the load."""

    def __init__(self, command: list[str], env: dict[str, str], ready: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__([*command, "--port", str(self.port)], env)
        self.ready = ready

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command[0]} exited: {self.output()}")
            try:
                with urllib.request.urlopen(self.url + self.ready, timeout=2):
                    return
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.2)
        raise TimeoutError(f"{' '.join(self.command)} did not get ready: {self.output()}")


def _die_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the bench dies, however it dies."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def service_env(database_url: str, secret: str, redis_url: str | None = None) -> dict[str, str]:
    """The settings of the service's processes (``clientes serve``, ``clientes replay``)
    and of the baseline."""
    env = {**os.environ, "CLIENTES_DATABASE_URL": database_url, "CLIENTES_JWT_SECRET": secret}
    if redis_url:
        env["CLIENTES_REDIS_URL"] = redis_url
    return env


@contextmanager
def redis() -> Iterator[str]:
    """A redis-server of the run's own on a free port, keeping nothing on disk: the
    service publishes its events to it, as compose.yaml has it do."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    with Process(command, dict(os.environ)).running():
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url


@contextmanager
def service(database_url: str, secret: str, workers: int, redis_url: str) -> Iterator[Service]:
    """The service as compose.yaml runs it: API workers that leave the projection to
    one ``clientes project`` process beside them, which also publishes to Redis."""
    env = service_env(database_url, secret, redis_url)
    command = [str(BIN / "clientes"), "serve", "--workers", str(workers), "--no-projector"]
    with (
        Process([str(BIN / "clientes"), "project"], env).running() as projector,
        Server(command, env, ready="/ready").running() as api,
    ):
        yield Service(api, projector)


@dataclass(frozen=True)
class Service:
    api: Server
    projector: Process

    @property
    def url(self) -> str:
        return self.api.url


def baseline(database_url: str, secret: str, workers: int) -> AbstractContextManager[Server]:
    """The plain CRUD baseline (bench/crud.py) on the service's settings and uvicorn's
    arguments."""
    env = {**service_env(database_url, secret), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "bench.crud", "--workers", str(workers)]
    return Server(command, env, ready="/health").running()
