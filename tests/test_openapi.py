"""The OpenAPI document describes every status code and the bearer scheme."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

EXPECTED = {
    ("/api/clientes", "get"): {"200", "400", "401", "403"},
    ("/api/clientes", "post"): {"201", "400", "401", "403", "409", "413", "503"},
    ("/api/clientes/{cliente_id}", "get"): {"200", "401", "403", "404"},
    ("/api/clientes/{cliente_id}", "put"): {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "412",
        "413",
        "503",
    },
    ("/api/clientes/{cliente_id}", "patch"): {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "412",
        "413",
        "503",
    },
    ("/api/clientes/{cliente_id}", "delete"): {"204", "401", "403", "404", "412", "503"},
}


@pytest.fixture
def document(client: TestClient[Any]) -> dict[str, Any]:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    loaded: dict[str, Any] = response.json()
    return loaded


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_every_operation_lists_its_status_codes(document: dict[str, Any]) -> None:
    for (path, method), statuses in EXPECTED.items():
        operation = document["paths"][path][method]
        assert statuses <= set(operation["responses"]), (path, method)
        for status in statuses - {"200", "201", "204"}:
            content = operation["responses"][status].get("content", {})
            assert "application/problem+json" in content or status == "400", (path, method, status)


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_the_api_needs_a_bearer_jwt_and_health_does_not(document: dict[str, Any]) -> None:
    [scheme] = document["components"]["securitySchemes"].values()
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "Bearer", "JWT")
    assert document["security"] == [
        {name: []} for name in document["components"]["securitySchemes"]
    ]
    assert document["paths"]["/health"]["get"]["security"] == [{}]
    assert document["paths"]["/ready"]["get"]["security"] == [{}]
