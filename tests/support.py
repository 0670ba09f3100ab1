"""Valid Clientes to start from, in the API's and the domain's spelling."""

from __future__ import annotations

import itertools
from typing import Any

from litestar.testing import TestClient

_codes = itertools.count(1)


def fields(**overrides: str | None) -> dict[str, str | None]:
    """A valid Cliente in the domain's field names, with a fresh code."""
    return {
        "codigo_cliente": f"CLI-{next(_codes):05d}",
        "nombre": "Juana Quispe",
        "tipo_cliente": "PERSONA",
        "tipo_documento": "DNI",
        "numero_documento": "12345678",
        **overrides,
    }


def body(**overrides: object) -> dict[str, object]:
    """A valid Cliente as a POST body, with a fresh code."""
    return {
        "codigoCliente": f"CLI-{next(_codes):05d}",
        "nombre": "Juana Quispe",
        "tipoCliente": "PERSONA",
        "tipoDocumento": "DNI",
        "numeroDocumento": "12345678",
        **overrides,
    }


def create(client: TestClient[Any], auth: dict[str, str], **overrides: object) -> dict[str, Any]:
    """A new Cliente through the API, as it answered."""
    response = client.post("/api/clientes", json=body(**overrides), headers=auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is problem details with this status; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert (problem["status"], problem["title"]) == (status, response.reason_phrase)
    assert isinstance(problem["detail"], str)
    assert "Traceback" not in response.text
    return problem


def error_fields(response: Any) -> list[str]:
    """The fields a 400 names."""
    return [error["field"] for error in assert_problem(response, 400)["errors"]]
