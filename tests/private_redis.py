"""A redis-server of a test's own, which the test can stop and start again."""

from __future__ import annotations

import subprocess
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.events_support import wait_until
from tests.server import free_port


class PrivateRedis:
    """Runs ``redis-server`` on a free port, keeping nothing on disk while it runs.

    ``stop()`` shuts it down saving a snapshot into ``directory``, which the next
    ``start()`` loads: what the server held survives the outage, as it does with
    the persistence a production Redis has.
    """

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def client(self) -> redis.Redis:
        return redis.Redis(
            port=self.port,
            decode_responses=True,
            socket_connect_timeout=1,
            retry=Retry(NoBackoff(), 0),  # a server that is down says so at once
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is None:
            return
        with self.client() as client:
            client.shutdown(save=True)
        self.process.wait(timeout=10)
        self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def _answers(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, "redis-server exited"
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False
