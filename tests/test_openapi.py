"""The OpenAPI document describes exactly what the service does."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from api.http.conditional import ETAGS_PATTERN
from api.http.filters import SORT_PATTERN
from api.http.numbers import MAX_INT64
from commands.validation import (
    ANY_NUMERO_DOCUMENTO,
    CODIGO_CLIENTE,
    NUMERO_DOCUMENTO,
    RULES,
    SEARCH_TEXT,
    TIPOS_CLIENTE,
    TIPOS_DOCUMENTO,
)

pytestmark = pytest.mark.parametrize("store_kind", ["sqlite"])

ERRORS = {"400", "401", "403", "408", "431", "503"}  # 408, 431: a head too slow, too large
EXPECTED = {
    ("/api/clientes", "get"): {"200"} | ERRORS,
    ("/api/clientes", "post"): {"201", "408", "409", "410", "413", "415", "422", "429"} | ERRORS,
    ("/api/clientes/{cliente_id}", "get"): {"200", "304", "404", "410"} | ERRORS,
    ("/api/clientes/{cliente_id}", "put"): {
        "200",
        "404",
        "409",
        "410",
        "412",
        "413",
        "415",
        "422",
        "429",
    }
    | ERRORS,
    ("/api/clientes/{cliente_id}", "patch"): {
        "200",
        "404",
        "409",
        "410",
        "412",
        "413",
        "415",
        "422",
        "429",
    }
    | ERRORS,
    ("/api/clientes/{cliente_id}/erasure", "post"): {
        "204",
        "404",
        "409",
        "412",
        "413",
        "415",
        "422",
        "429",
    }
    | ERRORS,
    ("/api/clientes/{cliente_id}", "delete"): {"204", "404", "409", "412", "422", "429"} | ERRORS,
    ("/api/clientes/{cliente_id}/history", "get"): {"200", "404"} | ERRORS,
    ("/api/events", "get"): {"200"} | ERRORS,
    ("/api/events/stream", "get"): {"200", "429"} | ERRORS,
    ("/ready", "get"): {"200", "408", "431", "503"},
    ("/health", "get"): {"200", "408", "431"},
    ("/metrics", "get"): {"200", "408", "431"},
}
REQUIRED = ["codigoCliente", "nombre", "numeroDocumento", "tipoCliente", "tipoDocumento"]
OPTIONAL = ["contactoRepresentante", "direccion", "email", "telefono"]


@pytest.fixture
def document(client: TestClient[Any]) -> dict[str, Any]:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    loaded: dict[str, Any] = response.json()
    return loaded


def component(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][name]
    return found


def nullable(schema: dict[str, Any]) -> bool:
    return any(option.get("type") == "null" for option in schema.get("oneOf", []))


def test_every_operation_lists_exactly_the_statuses_it_answers(document: dict[str, Any]) -> None:
    for (path, method), statuses in EXPECTED.items():
        operation = document["paths"][path][method]
        assert set(operation["responses"]) == statuses, (path, method)
        for status in statuses:
            content = operation["responses"][status].get("content", {})
            if status.startswith(("4", "5")) and path != "/ready":
                assert list(content) == ["application/problem+json"], (path, method, status)


def test_a_create_requires_what_the_service_requires_and_refuses_the_rest(
    document: dict[str, Any],
) -> None:
    create = component(document, "ClienteCreate")
    assert create["required"] == REQUIRED
    assert create["additionalProperties"] is False
    assert all(not nullable(create["properties"][name]) for name in REQUIRED)
    assert all(nullable(create["properties"][name]) for name in OPTIONAL)


def test_an_update_requires_nothing_and_may_clear_only_optional_fields(
    document: dict[str, Any],
) -> None:
    update = component(document, "ClienteUpdate")
    assert update.get("required", []) == []
    assert update["additionalProperties"] is False
    assert all(not nullable(update["properties"][name]) for name in REQUIRED)
    assert all(nullable(update["properties"][name]) for name in OPTIONAL)
    assert update["dependentRequired"] == {
        "tipoDocumento": ["numeroDocumento"],
        "numeroDocumento": ["tipoDocumento"],
    }


def test_each_field_says_whether_the_body_needs_it(document: dict[str, Any]) -> None:
    create = component(document, "ClienteCreate")["properties"]
    update = component(document, "ClienteUpdate")["properties"]
    for name in REQUIRED:
        assert create[name]["description"].startswith("Required; must be ")
        assert update[name]["description"].startswith("Optional (absent: unchanged); must be ")
    for name in OPTIONAL:
        assert create[name]["description"].startswith("Optional (empty or null: none); must be ")
        assert update[name]["description"].startswith(
            "Optional (absent: unchanged; empty or null: cleared); must be "
        )


@pytest.mark.parametrize("name", ["ClienteCreate", "ClienteUpdate"])
def test_the_documented_rules_are_the_rules_the_service_applies(
    document: dict[str, Any], name: str
) -> None:
    schema = component(document, name)
    for field, rule in RULES.items():
        api_name = re.sub(r"_(\w)", lambda m: m[1].upper(), field)
        documented = schema["properties"][api_name]
        if "enum" in documented:
            assert re.fullmatch(rule.pattern, documented["enum"][0])
        else:
            assert documented["pattern"] == rule.pattern, field
    by_tipo = {
        c["if"]["properties"]["tipoDocumento"]["const"]: c["then"]["properties"]["numeroDocumento"]
        for c in schema["allOf"]
    }
    assert by_tipo == {tipo: {"pattern": rule.pattern} for tipo, rule in NUMERO_DOCUMENTO.items()}


def test_ids_are_positive_64_bit_integers(document: dict[str, Any]) -> None:
    for path in ("/api/clientes/{cliente_id}", "/api/clientes/{cliente_id}/history"):
        for operation in document["paths"][path].values():
            [parameter] = [p for p in operation["parameters"] if p["in"] == "path"]
            assert parameter["schema"]["type"] == "integer"
            assert parameter["schema"]["format"] == "int64"
            assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (
                1,
                MAX_INT64,
            )


def test_the_etag_and_location_headers_are_declared(document: dict[str, Any]) -> None:
    cliente = document["paths"]["/api/clientes/{cliente_id}"]
    created = document["paths"]["/api/clientes"]["post"]["responses"]["201"]["headers"]
    assert set(created) == {"ETag", "Location", "Idempotent-Replayed"}
    for response in (
        cliente["get"]["responses"]["200"],
        cliente["get"]["responses"]["304"],
        cliente["put"]["responses"]["200"],
        cliente["patch"]["responses"]["200"],
    ):
        etag = response["headers"]["ETag"]
        assert etag["required"] is True
        assert re.fullmatch(etag["schema"]["pattern"], '"12"')


def test_if_match_and_if_none_match_are_documented_as_entity_tags(
    document: dict[str, Any],
) -> None:
    cliente = document["paths"]["/api/clientes/{cliente_id}"]
    for method, header in [
        ("get", "If-None-Match"),
        ("put", "If-Match"),
        ("patch", "If-Match"),
        ("delete", "If-Match"),
    ]:
        [parameter] = [p for p in cliente[method]["parameters"] if p["name"] == header]
        assert parameter["schema"] == {
            "type": "string",
            "pattern": ETAGS_PATTERN,
            "description": parameter["description"],
            "examples": ['"1"'],
        }


def test_the_writes_take_an_idempotency_key_and_say_when_they_replay(
    document: dict[str, Any],
) -> None:
    writes = [
        ("/api/clientes", "post", {"201", "409"}),
        ("/api/clientes/{cliente_id}", "put", {"200", "404", "409", "412"}),
        ("/api/clientes/{cliente_id}", "patch", {"200", "404", "409", "412"}),
        ("/api/clientes/{cliente_id}", "delete", {"204", "404", "412"}),
    ]
    for path, method, replayable in writes:
        operation = document["paths"][path][method]
        [key] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert (key["in"], key["required"]) == ("header", False)
        schema = key["schema"]
        assert (schema["type"], schema["minLength"], schema["maxLength"]) == ("string", 1, 255)
        assert re.fullmatch(schema["pattern"], "order-2026-11-29 #7")
        assert not re.fullmatch(schema["pattern"], "a\tb")
        replaying = {
            status
            for status, response in operation["responses"].items()
            if "Idempotent-Replayed" in response.get("headers", {})
        }
        assert replaying == replayable, (path, method)
        header = operation["responses"][min(replayable)]["headers"]["Idempotent-Replayed"]
        assert header["schema"] == {"type": "string", "enum": ["true"]}
        assert header["required"] is False


def test_a_create_links_to_the_reads_and_writes_of_the_created_cliente(
    document: dict[str, Any],
) -> None:
    links = document["paths"]["/api/clientes"]["post"]["responses"]["201"]["links"]
    operation_ids = {
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
    }
    assert (
        {link["operationId"] for link in links.values()}
        == {
            "getCliente",
            "getClienteHistory",
            "updateCliente",
            "patchCliente",
            "deactivateCliente",
            "eraseCliente",
        }
        <= operation_ids
    )
    assert all(
        link["parameters"] == {"cliente_id": "$response.body#/id"} for link in links.values()
    )


def test_the_events_feed_states_its_limits(document: dict[str, Any]) -> None:
    parameters = {
        p["name"]: p["schema"] for p in document["paths"]["/api/events"]["get"]["parameters"]
    }
    assert (parameters["after"]["minimum"], parameters["after"]["maximum"]) == (0, MAX_INT64)
    assert (parameters["limit"]["minimum"], parameters["limit"]["maximum"]) == (1, 1000)


def test_the_api_needs_a_bearer_jwt_and_health_does_not(document: dict[str, Any]) -> None:
    [scheme] = document["components"]["securitySchemes"].values()
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "Bearer", "JWT")
    assert document["security"] == [
        {name: []} for name in document["components"]["securitySchemes"]
    ]
    assert document["paths"]["/health"]["get"]["security"] == [{}]
    assert document["paths"]["/ready"]["get"]["security"] == [{}]


def test_the_docs_ui_loads_everything_from_the_service(client: TestClient[Any]) -> None:
    page = client.get("/schema")
    assert page.status_code == 200
    assert "<html" in page.text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert len(assets) >= 3
    for asset in assets:
        assert asset.startswith("/schema/"), asset
        assert client.get(asset).status_code == 200, asset
    assert "http://" not in page.text
    assert "https://" not in page.text


def test_the_list_documents_exactly_the_parameters_it_takes(document: dict[str, Any]) -> None:
    parameters = {
        p["name"]: p["schema"] for p in document["paths"]["/api/clientes"]["get"]["parameters"]
    }
    assert set(parameters) == {
        "page",
        "size",
        "q",
        "codigoCliente",
        "numeroDocumento",
        "tipoCliente",
        "tipoDocumento",
        "sort",
    }
    assert (parameters["page"]["minimum"], parameters["size"]["maximum"]) == (0, 100)
    assert parameters["q"]["pattern"] == SEARCH_TEXT.pattern
    assert parameters["codigoCliente"]["pattern"] == CODIGO_CLIENTE.pattern
    assert parameters["numeroDocumento"]["pattern"] == ANY_NUMERO_DOCUMENTO.pattern
    assert parameters["tipoCliente"]["enum"] == list(TIPOS_CLIENTE)
    assert parameters["tipoDocumento"]["enum"] == list(TIPOS_DOCUMENTO)
    assert parameters["sort"]["type"] == "array"
    assert parameters["sort"]["items"]["pattern"] == SORT_PATTERN
    assert not any("oneOf" in schema for schema in parameters.values())


def test_the_event_types_are_listed_with_the_erasure_and_its_scope(
    document: dict[str, Any],
) -> None:
    entry = component(document, "HistoryEntry")
    assert entry["properties"]["type"]["enum"] == [
        "ClienteCreated",
        "ClienteUpdated",
        "ClienteDeactivated",
        "ClienteErased",
    ]
    erasure = document["paths"]["/api/clientes/{cliente_id}/erasure"]["post"]
    body = erasure["requestBody"]["content"]["application/json"]["schema"]
    assert component(document, body["$ref"].rsplit("/", 1)[1])["required"] == ["reason"]
    assert "clientes:erase" in document["components"]["securitySchemes"]["bearer"]["description"]
