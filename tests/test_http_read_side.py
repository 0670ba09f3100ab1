"""Reading one's writes, and readiness, when the projector is and is not running."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.services import build_projector
from api.settings import Settings
from projections.progress import ProjectionWatch
from tests.support import body

Client = TestClient[Any]


@pytest.fixture
def client_without_projector(settings: Settings) -> Iterator[Client]:
    quick = Settings(store=settings.store, jwt_secret=settings.jwt_secret, write_timeout=0.3)
    with TestClient(create_app(quick, projector=False)) as client:
        client.app.state.services.watch = ProjectionWatch(stall_after=0.2)
        yield client


def test_a_write_is_readable_by_the_next_request(client: Client, auth: dict[str, str]) -> None:
    for _ in range(20):
        created = client.post("/api/clientes", json=body(), headers=auth).json()
        assert client.get(f"/api/clientes/{created['id']}", headers=auth).status_code == 200


def test_ready_when_the_projection_keeps_up(client: Client, auth: dict[str, str]) -> None:
    client.post("/api/clientes", json=body(), headers=auth)
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["lag"] == 0


def test_a_write_the_read_side_does_not_reach_in_time_is_503_but_recorded(
    client_without_projector: Client, auth: dict[str, str]
) -> None:
    response = client_without_projector.post("/api/clientes", json=body(), headers=auth)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"]
    services = client_without_projector.app.state.services
    assert services.clientes.get_vigente(1).datos.nombre == "Juana Quispe"


def test_ready_reports_a_stalled_projection_until_it_moves_again(
    client_without_projector: Client, auth: dict[str, str]
) -> None:
    client = client_without_projector
    assert client.get("/ready").status_code == 200
    client.post("/api/clientes", json=body(), headers=auth)
    assert client.get("/ready").status_code == 200  # behind, not yet stalled
    time.sleep(0.3)  # a stall is time passing without progress: nothing to wait on but time
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["lag"] > 0
    services = client.app.state.services
    projector = build_projector(services.settings.store, services.clientes, services.view)
    projector.start()
    try:
        assert client.post("/api/clientes", json=body(), headers=auth).status_code == 201
    finally:
        projector.stop()
    assert client.get("/ready").status_code == 200
