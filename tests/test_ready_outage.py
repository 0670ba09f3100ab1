"""/ready follows PostgreSQL going away and coming back, with no restart of the service;
what is logged meanwhile carries the id of the request it concerns."""

from __future__ import annotations

import json

import httpx
import pytest

from api.http.auth import READ, WRITE, mint_token
from api.settings import Settings
from stores import store_from_url
from tests.conftest import SECRET
from tests.events_support import wait_until
from tests.private_postgres import PrivatePostgres
from tests.server import Server, server_env
from tests.support import body

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_ready_is_503_while_postgres_is_away_and_200_once_it_is_back(
    private_postgres: PrivatePostgres,
) -> None:
    store = store_from_url(private_postgres.url)
    token = mint_token(Settings(store=store, jwt_secret=SECRET), "ops", f"{READ} {WRITE}", 600)
    with Server(server_env(store, SECRET)) as server:

        def ready() -> httpx.Response:
            return httpx.get(f"{server.url}/ready", timeout=5)

        wait_until(lambda: ready().status_code == 200, timeout=10, what="ready")

        private_postgres.stop()
        away = ready()
        assert away.status_code == 503
        assert away.json()["checks"]["eventStore"]["ok"] is False
        scraped = httpx.get(f"{server.url}/metrics", timeout=5)  # answers, without the positions
        assert scraped.status_code == 200
        assert "clientes_event_store_position" not in scraped.text
        read = httpx.get(
            f"{server.url}/api/clientes/1",
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "in-the-outage"},
            timeout=10,
        )
        assert read.status_code == 503
        wait_until(
            lambda: loggers_of(server, "in-the-outage") == {"api.http.errors", "clientes.access"},
            timeout=5,
            what="the error and access lines of the request",
        )

        private_postgres.start()
        wait_until(lambda: ready().status_code == 200, timeout=20, what="ready again")
        created = httpx.post(
            f"{server.url}/api/clientes",
            json=body(),
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text


def loggers_of(server: Server, request_id: str) -> set[str]:
    """The loggers that wrote lines carrying ``request_id``."""
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    return {line["logger"] for line in lines if line.get("request_id") == request_id}
