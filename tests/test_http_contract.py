"""What a careful user of the API meets at its edges: bodies, HEAD, OPTIONS, conditional reads."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.support import assert_problem as problem
from tests.support import body, create

Client = TestClient[Any]
WRITES = [("POST", "/api/clientes"), ("PUT", "/api/clientes/1"), ("PATCH", "/api/clientes/1")]


def send(client: Client, auth: dict[str, str], method: str, path: str, content: bytes) -> Any:
    headers = {**auth, "content-type": "application/json"}
    return client.request(method, path, content=content, headers=headers)


class TestBodies:
    @pytest.mark.parametrize(("method", "path"), WRITES)
    @pytest.mark.parametrize(
        "content",
        [
            b"[" * 5000 + b"]" * 5000,
            b'{"nombre": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            b'{"nombre": ' + b'{"a": ' * 3000 + b"1" + b"}" * 3000 + b"}",
        ],
        ids=["array", "in-a-field", "objects"],
    )
    def test_a_deeply_nested_body_is_400_on_every_route_that_takes_one(
        self, client: Client, auth: dict[str, str], method: str, path: str, content: bytes
    ) -> None:
        create(client, auth)
        found = problem(send(client, auth, method, path, content), 400)
        assert "nested too deeply" in found["detail"]

    def test_bad_json_is_400_saying_where(self, client: Client, auth: dict[str, str]) -> None:
        content = b'{\n  "nombre": "Rosa",\n  "email": x\n}'
        found = problem(send(client, auth, "POST", "/api/clientes", content), 400)
        assert (
            found["detail"] == "The body is not valid JSON: invalid character at line 3, column 12"
        )

    def test_a_body_cut_short_says_it_ends_too_early(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        found = problem(send(client, auth, "POST", "/api/clientes", b'{"nombre": "Ro'), 400)
        assert found["detail"] == (
            "The body is not valid JSON: it ends too early at line 1, column 15"
        )

    @pytest.mark.parametrize(
        ("content", "detail"),
        [
            (b"", "The body is empty: a JSON object is expected"),
            (b"[]", "The body is a JSON array: a JSON object is expected"),
            (b'"x"', "The body is a JSON string: a JSON object is expected"),
            (b"null", "The body is a JSON null: a JSON object is expected"),
        ],
    )
    def test_a_body_that_is_not_an_object_says_what_it_is(
        self, client: Client, auth: dict[str, str], content: bytes, detail: str
    ) -> None:
        assert (
            problem(send(client, auth, "POST", "/api/clientes", content), 400)["detail"] == detail
        )

    def test_every_problem_of_a_body_is_named_at_once(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        response = client.post(
            "/api/clientes",
            json={
                "codigoCliente": 7,
                "nombre": "",
                "tipoCliente": "PERSONA",
                "tipoDocumento": "DNI",
                "numeroDocumento": "123",
                "email": ["a@b.pe"],
                "telefono": None,
                "saldo": 10,
                "codigo_cliente": "X",
            },
            headers=auth,
        )
        errors = problem(response, 400)["errors"]
        assert errors == [
            {"field": "codigoCliente", "message": "must be a string, not number"},
            {"field": "nombre", "message": "must be 1 to 150 characters, none of them control"},
            {"field": "numeroDocumento", "message": "must be exactly 8 digits for DNI"},
            {"field": "email", "message": "must be a string or null, not array"},
            {"field": "saldo", "message": "is not a field"},
            {"field": "codigo_cliente", "message": "is not a field"},
        ]

    def test_an_update_names_every_problem_at_once_too(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth)
        response = client.patch(
            f"/api/clientes/{cliente['id']}",
            json={"nombre": None, "telefono": "x", "vigente": False},
            headers=auth,
        )
        assert [e["field"] for e in problem(response, 400)["errors"]] == [
            "nombre",
            "telefono",
            "vigente",
        ]
        assert client.get(f"/api/clientes/{cliente['id']}", headers=auth).json() == cliente

    @pytest.mark.parametrize(("method", "path"), WRITES)
    def test_a_body_over_the_limit_is_413_saying_the_limit(
        self, client: Client, auth: dict[str, str], method: str, path: str
    ) -> None:
        create(client, auth)
        content = b'{"direccion": "' + b"x" * (64 * 1024) + b'"}'
        found = problem(send(client, auth, method, path, content), 413)
        assert found["detail"] == "The body is over the limit of 64 KiB (65536 bytes)"


class TestCodes:
    def test_a_code_held_by_a_deactivated_cliente_is_409_saying_so(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        gone = create(client, auth, codigoCliente="GONE-1")
        client.delete(f"/api/clientes/{gone['id']}", headers=auth)
        response = client.post("/api/clientes", json=body(codigoCliente="gone-1"), headers=auth)
        assert problem(response, 409)["detail"] == (
            f"codigoCliente 'gone-1' is already taken by Cliente {gone['id']}, which is "
            "deactivated: a code stays taken after deactivation"
        )

    def test_a_code_held_by_a_vigente_cliente_names_it(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        held = create(client, auth, codigoCliente="HELD-1")
        response = client.post("/api/clientes", json=body(codigoCliente="HELD-1"), headers=auth)
        assert problem(response, 409)["detail"] == (
            f"codigoCliente 'HELD-1' is already taken by Cliente {held['id']}"
        )


class TestIds:
    @pytest.mark.parametrize("cliente_id", ["0", "-1", str(2**63), "9" * 40, "abc", "1.5"])
    @pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
    def test_an_id_that_is_not_a_positive_64_bit_integer_is_404(
        self, client: Client, auth: dict[str, str], method: str, cliente_id: str
    ) -> None:
        response = client.request(
            method, f"/api/clientes/{cliente_id}", json={"nombre": "X"}, headers=auth
        )
        problem(response, 404)


class TestHead:
    @pytest.mark.parametrize(
        "path", ["/health", "/ready", "/schema/openapi.json", "/schema", "/schema/swagger"]
    )
    def test_head_answers_as_get_without_a_body_on_public_routes(
        self, client: Client, path: str
    ) -> None:
        get, head = client.get(path), client.head(path)
        assert (head.status_code, head.content) == (get.status_code, b"")
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-length"] == str(len(get.content))

    def test_head_answers_as_get_on_the_api_with_its_etag(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth)
        for path in (
            f"/api/clientes/{cliente['id']}",
            f"/api/clientes/{cliente['id']}/history",
            "/api/clientes",
            "/api/events",
        ):
            get, head = client.get(path, headers=auth), client.head(path, headers=auth)
            assert (head.status_code, head.content) == (200, b""), path
            assert head.headers.get("etag") == get.headers.get("etag")
            assert head.headers["content-length"] == str(len(get.content))

    def test_head_keeps_the_status_of_a_refusal(self, client: Client, auth: dict[str, str]) -> None:
        assert client.head("/api/clientes/99", headers=auth).status_code == 404
        assert client.head("/api/clientes").status_code == 401

    def test_head_on_the_event_stream_answers_its_headers_and_ends(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        response = client.head("/api/events/stream", headers=auth)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.content == b""


class TestOptions:
    @pytest.mark.parametrize(
        ("path", "allowed"),
        [
            ("/api/clientes", "GET, HEAD, OPTIONS, POST"),
            ("/api/clientes/1", "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"),
            ("/api/clientes/1/history", "GET, HEAD, OPTIONS"),
            ("/health", "GET, HEAD, OPTIONS"),
        ],
    )
    def test_allow_lists_every_method_of_the_path(
        self, client: Client, path: str, allowed: str
    ) -> None:
        response = client.options(path)
        assert response.status_code == 204
        assert response.headers["allow"] == allowed

    def test_a_method_the_path_lacks_is_405_with_the_allowed_ones(self, client: Client) -> None:
        response = client.request("TRACE", "/api/clientes/1")
        problem(response, 405)
        assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"


class TestConditionalReads:
    @pytest.mark.parametrize("if_none_match", ['"1"', "*", '"5", "1"', 'W/"1"'])
    def test_if_none_match_with_the_current_etag_is_304_with_no_body(
        self, client: Client, auth: dict[str, str], if_none_match: str
    ) -> None:
        cliente = create(client, auth)
        for method in ("GET", "HEAD"):
            response = client.request(
                method,
                f"/api/clientes/{cliente['id']}",
                headers={**auth, "If-None-Match": if_none_match},
            )
            assert response.status_code == 304
            assert response.headers["etag"] == '"1"'
            assert response.content == b""

    def test_if_none_match_with_another_etag_answers_the_cliente(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth)
        response = client.get(
            f"/api/clientes/{cliente['id']}", headers={**auth, "If-None-Match": '"2"'}
        )
        assert (response.status_code, response.json()) == (200, cliente)

    def test_if_none_match_applies_to_a_past_version(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth)
        client.patch(f"/api/clientes/{cliente['id']}", json={"nombre": "Otra"}, headers=auth)
        url = f"/api/clientes/{cliente['id']}?version=1"
        assert client.get(url, headers={**auth, "If-None-Match": '"1"'}).status_code == 304
        assert client.get(url, headers={**auth, "If-None-Match": '"2"'}).status_code == 200

    def test_a_malformed_if_none_match_is_400_saying_how_to_write_one(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth)
        response = client.get(
            f"/api/clientes/{cliente['id']}", headers={**auth, "If-None-Match": "1"}
        )
        assert 'e.g. If-None-Match: "3"' in problem(response, 400)["detail"]
