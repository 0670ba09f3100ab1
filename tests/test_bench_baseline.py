"""The benchmark's plain CRUD baseline does the contract's work as the service does: it
refuses a missing or bad token (401), a token without the route's scope (403) and a
body that breaks a field rule (400), answering each as the service answers it, and
writes an access line per request."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.http.auth import READ, WRITE, mint_token
from api.settings import Settings
from bench import crud
from stores import Store
from tests.stores import conninfo

pytestmark = pytest.mark.postgres

GOOD = {
    "codigoCliente": "CRUD-001",
    "nombre": "Ferretería Núñez EIRL",
    "tipoCliente": "EMPRESA",
    "tipoDocumento": "RUC",
    "numeroDocumento": "20987654321",
}
BAD_BODIES = {
    "a RUC of 3 digits": {**GOOD, "numeroDocumento": "123"},
    "a code with a space": {**GOOD, "codigoCliente": "CRUD 001"},
    "an unknown field": {**GOOD, "apodo": "Ferre"},
    "no nombre": {k: v for k, v in GOOD.items() if k != "nombre"},
    "a tipoCliente of no kind": {**GOOD, "tipoCliente": "GOBIERNO"},
    "an e-mail without a domain": {**GOOD, "email": "ventas@"},
}


@pytest.fixture
def store(postgres_store: Store) -> Store:
    """The baseline runs on PostgreSQL only; the service beside it on the same schema."""
    with psycopg.connect(conninfo(postgres_store), autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{postgres_store.env["POSTGRES_SCHEMA"]}"')
        conn.execute(crud.CREATE_TABLE)
    return postgres_store


@pytest.fixture
def baseline(settings: Settings) -> Iterator[TestClient[Litestar]]:
    with TestClient(crud.create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def both(
    baseline: TestClient[Litestar], client: TestClient[Litestar]
) -> dict[str, TestClient[Litestar]]:
    return {"baseline": baseline, "service": client}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_request_without_a_token_or_with_a_bad_one_is_refused_with_401(
    both: dict[str, TestClient[Litestar]], settings: Settings
) -> None:
    forged = mint_token(Settings(store=settings.store, jwt_secret="f" * 64), "x", READ, 60)
    for name, http in both.items():
        assert http.get("/api/clientes/1").status_code == 401, name
        assert http.get("/api/clientes", headers=_bearer(forged)).status_code == 401, name
        assert http.post("/api/clientes", json=GOOD, headers=_bearer("not.a.jwt")).status_code == (
            401
        ), name


def test_a_token_without_the_routes_scope_is_refused_with_403(
    both: dict[str, TestClient[Litestar]], token: Callable[..., str]
) -> None:
    reader, writer = _bearer(token(scope=READ)), _bearer(token(scope=WRITE))
    for name, http in both.items():
        assert http.post("/api/clientes", json=GOOD, headers=reader).status_code == 403, name
        assert http.get("/api/clientes", headers=writer).status_code == 403, name
        assert http.patch("/api/clientes/1", json={}, headers=reader).status_code == 403, name
        assert http.delete("/api/clientes/1", headers=reader).status_code == 403, name


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_body_that_breaks_a_field_rule_is_refused_as_the_service_refuses_it(
    both: dict[str, TestClient[Litestar]], auth: dict[str, str], body: dict[str, Any]
) -> None:
    statuses = {
        name: http.post("/api/clientes", json=body, headers=auth).status_code
        for name, http in both.items()
    }
    assert statuses["service"] in (400, 422)
    assert statuses["baseline"] == statuses["service"], statuses


def test_a_good_create_is_read_listed_updated_and_deactivated(
    baseline: TestClient[Litestar], auth: dict[str, str]
) -> None:
    created = baseline.post(
        "/api/clientes", json={**GOOD, "nombre": "  Ferretería  "}, headers=auth
    )
    assert created.status_code == 201, created.text
    cliente = created.json()
    assert (cliente["nombre"], cliente["vigente"], cliente["version"]) == ("Ferretería", True, 1)
    assert created.headers["ETag"] == '"1"'
    path = f"/api/clientes/{cliente['id']}"
    assert baseline.get(path, headers=auth).json()["codigoCliente"] == "CRUD-001"
    assert baseline.post("/api/clientes", json=GOOD, headers=auth).status_code == 409
    listed = baseline.get("/api/clientes", params={"size": 10}, headers=auth).json()
    assert (listed["totalElements"], listed["totalPages"]) == (1, 1)

    # The merged Cliente obeys the rules: a DNI cannot keep the RUC's 11 digits.
    assert baseline.patch(path, json={"tipoDocumento": "DNI"}, headers=auth).status_code == 400
    changed = baseline.patch(path, json={"telefono": "+51 1 555-0100"}, headers=auth)
    assert (changed.status_code, changed.json()["version"]) == (200, 2)
    assert changed.json()["tipoDocumento"] == "RUC"

    assert baseline.delete(path, headers=auth).status_code == 204
    assert baseline.get(path, headers=auth).status_code == 404
    assert baseline.get("/api/clientes", headers=auth).json()["totalElements"] == 0


def test_each_request_writes_one_access_line_as_the_services_do(
    baseline: TestClient[Litestar], auth: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="clientes.access"):
        baseline.get("/api/clientes/1", headers=auth)
        baseline.post("/api/clientes", json=GOOD, headers=auth)
    lines = [r.getMessage() for r in caplog.records if r.name == "clientes.access"]
    assert lines == ["GET /api/clientes/{cliente_id} 404", "POST /api/clientes 201"]
