"""The contract's "Requests": parameters refused by the names sent, bodies only as JSON,
and answers that tell the caller what to do next, on both stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.http.auth import READ
from tests.support import assert_problem, body, create, error_fields

Client = TestClient[Litestar]


@pytest.mark.parametrize(
    "path",
    [
        "/api/clientes/{id}",
        "/api/clientes/{id}/history",
        "/api/clientes",
        "/api/events",
    ],
)
def test_every_route_refuses_a_parameter_it_does_not_define(
    client: Client, auth: dict[str, str], path: str
) -> None:
    cliente = create(client, auth)
    url = path.format(id=cliente["id"])
    assert error_fields(client.get(url, params={"foo": "1"}, headers=auth)) == ["foo"]


def test_one_400_names_every_bad_parameter_by_the_name_sent(
    client: Client, auth: dict[str, str]
) -> None:
    response = client.get("/api/clientes?page=-1&size=1000&sort=foo&bar=1", headers=auth)
    assert error_fields(response) == ["page", "size", "sort", "bar"]


def test_the_history_names_its_parameters_as_sent(client: Client, auth: dict[str, str]) -> None:
    cliente = create(client, auth)
    url = f"/api/clientes/{cliente['id']}/history"
    assert error_fields(client.get(url, params={"afterVersion": "x"}, headers=auth)) == [
        "afterVersion"
    ]
    assert error_fields(client.get(url, params={"after_version": "1"}, headers=auth)) == [
        "after_version"
    ]


@pytest.mark.parametrize(
    "page", ["1e3", "1.0", "+1", "-0", " 1", "9223372036854775808", "2147483648"]
)
def test_integers_are_plain_decimal_within_their_bounds(
    client: Client, auth: dict[str, str], page: str
) -> None:
    problem = assert_problem(client.get("/api/clientes", params={"page": page}, headers=auth), 400)
    assert problem["errors"] == [
        {"field": "page", "message": "must be a whole number from 0 to 2147483647, in plain digits"}
    ]


def test_a_parameter_given_twice_is_refused_unless_it_repeats(
    client: Client, auth: dict[str, str]
) -> None:
    assert error_fields(client.get("/api/clientes?size=5&size=6", headers=auth)) == ["size"]
    sorted_twice = client.get("/api/clientes?sort=nombre&sort=id,desc", headers=auth)
    assert sorted_twice.status_code == 200


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_a_body_must_be_sent_as_json(
    client: Client, auth: dict[str, str], content_type: str | None
) -> None:
    cliente = create(client, auth)
    headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
    sent = b'{"nombre": "Otro Nombre"}'
    for method, url in [("POST", "/api/clientes"), ("PATCH", f"/api/clientes/{cliente['id']}")]:
        response = client.request(method, url, content=sent, headers=headers)
        assert "application/json" in assert_problem(response, 415)["detail"]
    assert (
        client.get(f"/api/clientes/{cliente['id']}", headers=auth).json()["nombre"]
        == (cliente["nombre"])
    )


def test_a_charset_of_utf_8_is_fine(client: Client, auth: dict[str, str]) -> None:
    headers = {**auth, "Content-Type": "application/json; charset=UTF-8"}
    response = client.post("/api/clientes", content=_json(body()), headers=headers)
    assert response.status_code == 201


def test_a_key_given_twice_is_400_naming_it(client: Client, auth: dict[str, str]) -> None:
    sent = b'{"codigoCliente":"A-1","codigoCliente":"B-1","nombre":"X","tipoCliente":"PERSONA",'
    sent += b'"tipoDocumento":"DNI","numeroDocumento":"12345678"}'
    headers = {**auth, "Content-Type": "application/json"}
    assert error_fields(client.post("/api/clientes", content=sent, headers=headers)) == [
        "codigoCliente"
    ]


def test_a_number_beyond_a_float_is_named_as_its_field(
    client: Client, auth: dict[str, str]
) -> None:
    sent = _json(body()).replace(b'"Juana Quispe"', b"1e999999")
    headers = {**auth, "Content-Type": "application/json"}
    assert error_fields(client.post("/api/clientes", content=sent, headers=headers)) == ["nombre"]


def test_a_412_carries_the_current_etag(client: Client, auth: dict[str, str]) -> None:
    cliente = create(client, auth)
    url = f"/api/clientes/{cliente['id']}"
    client.patch(url, json={"nombre": "Segunda"}, headers=auth)
    stale = client.patch(url, json={"nombre": "Tercera"}, headers={**auth, "If-Match": '"1"'})
    assert_problem(stale, 412)
    assert stale.headers["etag"] == '"2"'
    retried = client.patch(
        url, json={"nombre": "Tercera"}, headers={**auth, "If-Match": stale.headers["etag"]}
    )
    assert retried.status_code == 200


def test_a_403_says_which_scope_is_needed(client: Client, token: Callable[..., str]) -> None:
    reader = {"Authorization": f"Bearer {token('r', READ)}"}
    response = client.post("/api/clientes", json=body(), headers=reader)
    assert_problem(response, 403)
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="clientes:write"'
    )


@pytest.mark.parametrize("given", ["abc", "0", "999999", "-1", "9223372036854775808"])
def test_no_such_cliente_is_said_one_way(client: Client, auth: dict[str, str], given: str) -> None:
    for url in (f"/api/clientes/{given}", f"/api/clientes/{given}/history"):
        problem = assert_problem(client.get(url, headers=auth), 404)
        assert problem["detail"] == f"No Cliente has the id {given}"


def _json(value: Any) -> bytes:
    return msgspec.json.encode(value)
