"""The two servers under load, started alike: the service and the CRUD baseline.

Both run on uvicorn with the arguments ``clientes serve`` gives it (uvloop, the
service's httptools protocol with its limits, its logging, the same worker
count), read the same settings from the same environment, and write an access
line per request; the service through ``clientes serve``, the baseline through
``python -m bench.crud``. The service runs in its production shape, as
compose.yaml runs it: its projector in a process of its own."""

from __future__ import annotations

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

BIN = Path(sys.executable).parent
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
                self.command, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
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

    def peak_rss_mb(self) -> float:
        """The highest peak resident set size among the worker processes, in MB
        (the process itself when it runs the one worker)."""
        if self.process is None:
            return 0.0
        pids = _children(self.process.pid) or [self.process.pid]
        return max(_peak_rss_kb(pid) for pid in pids) / 1024


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


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _peak_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def service_env(database_url: str, secret: str) -> dict[str, str]:
    """The settings of the service's processes (``clientes serve``, ``clientes replay``)."""
    return {**os.environ, "CLIENTES_DATABASE_URL": database_url, "CLIENTES_JWT_SECRET": secret}


@contextmanager
def service(database_url: str, secret: str, workers: int) -> Iterator[Service]:
    """The service as compose.yaml runs it: API workers that leave the projection to
    one ``clientes project`` process beside them."""
    env = service_env(database_url, secret)
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
