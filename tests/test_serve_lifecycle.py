"""Real `clientes serve` processes on PostgreSQL: projector take-over and graceful shutdown.

Each test has a PostgreSQL cluster of its own: servers and their pools need
connections that a shared server, busy with other suites, may not have to spare.
"""

from __future__ import annotations

import signal
import threading
import time

import httpx
import pytest

from api.bootstrap import bootstrap
from api.http.auth import READ, WRITE, mint_token
from api.settings import Settings
from stores import Store, store_from_url
from tests.conftest import SECRET
from tests.events_support import wait_until
from tests.private_postgres import PrivatePostgres
from tests.server import Server, server_env
from tests.support import body

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ACTIVE = "Projection clientes_projection active in this process"
STANDING_BY = "Projection clientes_projection standing by"
TAKE_OVER = 5.0  # seconds a standby may take to become the active projector
SHUTDOWN = 3  # CLIENTES_SHUTDOWN_TIMEOUT for the shutdown test


@pytest.fixture
def postgres_store(private_postgres: PrivatePostgres) -> Store:
    return store_from_url(private_postgres.url)


def auth(store: Store) -> dict[str, str]:
    token = mint_token(Settings(store=store, jwt_secret=SECRET), "ops", f"{READ} {WRITE}", 600)
    return {"Authorization": f"Bearer {token}"}


def create(server: Server, headers: dict[str, str]) -> int:
    response = httpx.post(f"{server.url}/api/clientes", json=body(), headers=headers, timeout=10)
    assert response.status_code == 201, response.text
    created: int = response.json()["id"]
    return created


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "stopped"])
def test_a_standby_takes_over_when_the_active_projector_goes(
    postgres_store: Store, stop: signal.Signals
) -> None:
    env = server_env(postgres_store, SECRET)
    headers = auth(postgres_store)
    with Server(env) as first, Server(env) as second:
        wait_until(
            lambda: ACTIVE in first.output() or ACTIVE in second.output(), what="a projector"
        )
        active, standby = (first, second) if ACTIVE in first.output() else (second, first)
        wait_until(lambda: STANDING_BY in standby.output(), what="the standby saying so")
        ids = [create(server, headers) for server in (active, standby, active, standby)]

        assert active.process is not None
        active.process.send_signal(stop)
        active.process.wait(timeout=15)
        gone = time.monotonic()
        wait_until(lambda: ACTIVE in standby.output(), timeout=TAKE_OVER, what="the take-over")
        assert time.monotonic() - gone < TAKE_OVER
        assert standby.output().count(STANDING_BY) == 1  # said once, not at every try
        assert f"{ACTIVE}, at position" in standby.output()
        assert "taken over from the process that held it" in standby.output()

        ids.append(create(standby, headers))  # readable at once: the standby projects now
        listed = httpx.get(f"{standby.url}/api/clientes?size=100", headers=headers).json()
        assert [cliente["id"] for cliente in listed["content"]] == sorted(ids)
        for cliente_id in ids:
            read = httpx.get(f"{standby.url}/api/clientes/{cliente_id}", headers=headers)
            assert read.status_code == 200


def test_sigterm_during_a_burst_of_writes_keeps_every_answered_write(
    postgres_store: Store,
) -> None:
    env = server_env(postgres_store, SECRET, CLIENTES_SHUTDOWN_TIMEOUT=str(SHUTDOWN))
    headers = auth(postgres_store)
    server = Server(env)
    server.start()
    answered: list[httpx.Response] = []
    refused = threading.Event()

    def write() -> None:
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
            while not refused.is_set():
                try:
                    answered.append(client.post("/api/clientes", json=body()))
                except httpx.TransportError:
                    refused.set()  # the server has stopped taking requests

    writers = [threading.Thread(target=write) for _ in range(8)]
    try:
        for writer in writers:
            writer.start()
        wait_until(lambda: len(answered) >= 40, what="a burst of writes")
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert server.process.wait(timeout=SHUTDOWN + 10) == 0
        assert time.monotonic() - signalled < SHUTDOWN + 3
    finally:
        refused.set()
        for writer in writers:
            writer.join()
        server.stop()

    ids = [response.json()["id"] for response in answered if response.status_code == 201]
    assert len(ids) >= 40
    services = bootstrap(
        Settings(store=postgres_store, jwt_secret=SECRET), api=False, projector=False
    )
    try:
        for cliente_id in ids:
            assert services.clientes.get_cliente(cliente_id).vigente
    finally:
        services.close()
