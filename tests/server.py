"""A real `clientes serve` process, for tests of concurrency and restarts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from api.http.auth import READ, WRITE, mint_token
from api.settings import Settings
from stores import Store

CLIENTES = Path(sys.executable).with_name("clientes")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(store: Store, secret: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CLIENTES_DATABASE_URL": store.url,
        "CLIENTES_DATABASE_SCHEMA": store.schema,
        "CLIENTES_JWT_SECRET": secret,
        **extra,
    }


def bearer(store: Store, secret: str, sub: str = "tester") -> dict[str, str]:
    """Headers with a token for a server on ``store`` signed with ``secret``, both scopes."""
    settings = Settings(store=store, jwt_secret=secret)
    return {"Authorization": f"Bearer {mint_token(settings, sub, f'{READ} {WRITE}', 600)}"}


class Server:
    """Starts ``clientes serve`` on a free port and stops it on exit."""

    def __init__(
        self, env: dict[str, str], *args: str, cwd: Path | None = None, port_by_env: bool = False
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [str(CLIENTES), "serve", *args]
        if port_by_env:
            env = {**env, "CLIENTES_HOST": "127.0.0.1", "CLIENTES_PORT": str(self.port)}
        else:
            self.command += ["--port", str(self.port)]
        self.env = env
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        try:
            self._wait_until_up(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_until_up(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"clientes serve exited: {self.output()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError(f"clientes serve did not answer on {self.url}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        self.log.close()

    def output(self) -> str:
        """What the server wrote to stderr so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")
