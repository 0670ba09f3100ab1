"""The Cliente endpoints over HTTP, status by status, on both stores."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.support import assert_problem, body, create, error_fields

Client = TestClient[Any]
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


class TestCreate:
    def test_answers_201_with_the_cliente_its_location_and_etag(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        response = client.post(
            "/api/clientes",
            json=body(
                codigoCliente="ACME-1",
                nombre="  ACME SAC ",
                tipoCliente="EMPRESA",
                tipoDocumento="RUC",
                numeroDocumento="20123456789",
                telefono="  ",
                contactoRepresentante="Rosa Huamán",
            ),
            headers=auth,
        )
        assert response.status_code == 201
        cliente = response.json()
        assert response.headers["location"] == f"/api/clientes/{cliente['id']}"
        assert response.headers["etag"] == '"1"'
        assert cliente == {
            "id": cliente["id"],
            "codigoCliente": "ACME-1",
            "nombre": "ACME SAC",
            "tipoCliente": "EMPRESA",
            "tipoDocumento": "RUC",
            "numeroDocumento": "20123456789",
            "direccion": None,
            "telefono": None,
            "email": None,
            "contactoRepresentante": "Rosa Huamán",
            "vigente": True,
            "version": 1,
            "fechaCreacion": cliente["fechaCreacion"],
            "fechaModificacion": cliente["fechaCreacion"],
        }
        assert RFC3339_UTC.match(cliente["fechaCreacion"])

    def test_ids_start_at_1_and_grow(self, client: Client, auth: dict[str, str]) -> None:
        assert [create(client, auth)["id"] for _ in range(3)] == [1, 2, 3]

    def test_the_new_cliente_is_readable_at_once(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth)
        assert client.get(f"/api/clientes/{cliente['id']}", headers=auth).json() == cliente

    def test_names_every_invalid_field(self, client: Client, auth: dict[str, str]) -> None:
        response = client.post(
            "/api/clientes",
            json={
                "nombre": "",
                "tipoCliente": "persona",
                "tipoDocumento": "DNI",
                "numeroDocumento": "123",
                "email": "nope",
            },
            headers=auth,
        )
        assert error_fields(response) == [
            "codigoCliente",
            "nombre",
            "tipoCliente",
            "numeroDocumento",
            "email",
        ]

    @pytest.mark.parametrize(
        "content",
        [b"{not json", b"", b"[]", b'"text"', b'{"nombre": "\xe9"}', b"null"],
        ids=["malformed", "empty", "array", "string", "not-utf8", "null"],
    )
    def test_a_body_that_is_not_a_json_object_is_400(
        self, client: Client, auth: dict[str, str], content: bytes
    ) -> None:
        response = client.post(
            "/api/clientes", content=content, headers={**auth, "content-type": "application/json"}
        )
        assert_problem(response, 400)

    def test_a_field_of_the_wrong_type_is_400_and_named(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        response = client.post("/api/clientes", json=body(nombre=42), headers=auth)
        assert error_fields(response) == ["nombre"]

    def test_a_field_not_in_the_contract_is_400_and_named(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        response = client.post("/api/clientes", json=body(saldo=10), headers=auth)
        assert error_fields(response) == ["saldo"]

    def test_a_control_character_is_400_on_every_store(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        response = client.post("/api/clientes", json=body(nombre="Juana\x00Quispe"), headers=auth)
        assert error_fields(response) == ["nombre"]

    def test_a_body_over_64_kib_is_413(self, client: Client, auth: dict[str, str]) -> None:
        response = client.post(
            "/api/clientes", json=body(direccion="x" * (64 * 1024)), headers=auth
        )
        assert_problem(response, 413)

    def test_a_duplicate_code_is_409_whatever_its_case(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        create(client, auth, codigoCliente="Dup-1")
        response = client.post("/api/clientes", json=body(codigoCliente="dUP-1"), headers=auth)
        assert_problem(response, 409)

    def test_a_refused_create_changes_nothing(self, client: Client, auth: dict[str, str]) -> None:
        create(client, auth, codigoCliente="ONE")
        client.post("/api/clientes", json=body(codigoCliente="one"), headers=auth)
        client.post("/api/clientes", json=body(nombre=""), headers=auth)
        listing = client.get("/api/clientes", headers=auth).json()
        assert listing["totalElements"] == 1


def test_options_needs_no_token_and_never_fails(client: Client) -> None:
    response = client.options("/api/clientes")
    assert response.status_code == 204
    assert "POST" in response.headers["allow"]


class TestRead:
    def test_get_answers_the_cliente_with_its_etag(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth)
        response = client.get(f"/api/clientes/{cliente['id']}", headers=auth)
        assert response.status_code == 200
        assert response.headers["etag"] == '"1"'
        assert response.json() == cliente

    @pytest.mark.parametrize("cliente_id", ["999", "0", "-1", str(2**63), "abc", "1.5", "%20"])
    def test_an_id_that_names_no_cliente_is_404(
        self, client: Client, auth: dict[str, str], cliente_id: str
    ) -> None:
        create(client, auth)
        assert_problem(client.get(f"/api/clientes/{cliente_id}", headers=auth), 404)

    def test_the_largest_64_bit_id_is_a_plain_404(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        assert_problem(client.get(f"/api/clientes/{2**63 - 1}", headers=auth), 404)

    def test_the_list_pages_through_vigente_clientes_in_id_order(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        ids = [create(client, auth)["id"] for _ in range(5)]
        pages = [
            client.get(f"/api/clientes?page={page}&size=2", headers=auth).json()
            for page in range(4)
        ]
        assert [[c["id"] for c in p["content"]] for p in pages] == [
            ids[0:2],
            ids[2:4],
            ids[4:5],
            [],
        ]
        assert {(p["totalElements"], p["totalPages"], p["size"]) for p in pages} == {(5, 3, 2)}
        assert [p["number"] for p in pages] == [0, 1, 2, 3]

    def test_the_list_defaults_to_page_0_of_20(self, client: Client, auth: dict[str, str]) -> None:
        create(client, auth)
        listing = client.get("/api/clientes", headers=auth).json()
        assert (listing["number"], listing["size"], listing["totalPages"]) == (0, 20, 1)

    def test_an_empty_list(self, client: Client, auth: dict[str, str]) -> None:
        assert client.get("/api/clientes", headers=auth).json() == {
            "content": [],
            "totalElements": 0,
            "totalPages": 0,
            "number": 0,
            "size": 20,
        }

    def test_a_page_far_past_the_end_is_empty(self, client: Client, auth: dict[str, str]) -> None:
        create(client, auth)
        response = client.get(f"/api/clientes?page={2**31 - 1}&size=100", headers=auth)
        assert response.status_code == 200
        assert response.json()["content"] == []

    @pytest.mark.parametrize(
        "query", ["page=-1", "page=x", "page=1.5", "size=0", "size=101", "size=", "size=ten"]
    )
    def test_a_bad_page_or_size_is_400(
        self, client: Client, auth: dict[str, str], query: str
    ) -> None:
        response = client.get(f"/api/clientes?{query}", headers=auth)
        assert error_fields(response) == [query.split("=", maxsplit=1)[0]]


def rename_if_match(
    client: Client, auth: dict[str, str], cliente: dict[str, Any], if_match: str
) -> Any:
    return client.patch(
        f"/api/clientes/{cliente['id']}",
        json={"nombre": "Otra"},
        headers={**auth, "If-Match": if_match},
    )


class TestUpdate:
    @pytest.mark.parametrize("method", ["PUT", "PATCH"])
    def test_changes_only_the_fields_in_the_body(
        self, client: Client, auth: dict[str, str], method: str
    ) -> None:
        cliente = create(client, auth, telefono="987654321")
        response = client.request(
            method, f"/api/clientes/{cliente['id']}", json={"email": "j@example.com"}, headers=auth
        )
        assert response.status_code == 200
        assert response.headers["etag"] == '"2"'
        updated = response.json()
        assert updated == {
            **cliente,
            "email": "j@example.com",
            "version": 2,
            "fechaModificacion": updated["fechaModificacion"],
        }
        assert updated["fechaModificacion"] > cliente["fechaModificacion"]
        assert client.get(f"/api/clientes/{cliente['id']}", headers=auth).json() == updated

    def test_null_clears_an_optional_field(self, client: Client, auth: dict[str, str]) -> None:
        cliente = create(client, auth, telefono="987654321")
        response = client.put(
            f"/api/clientes/{cliente['id']}", json={"telefono": None}, headers=auth
        )
        assert response.json()["telefono"] is None

    def test_null_for_a_required_field_is_400(self, client: Client, auth: dict[str, str]) -> None:
        cliente = create(client, auth)
        response = client.put(f"/api/clientes/{cliente['id']}", json={"nombre": None}, headers=auth)
        assert error_fields(response) == ["nombre"]

    def test_the_merged_result_is_validated(self, client: Client, auth: dict[str, str]) -> None:
        cliente = create(client, auth, tipoDocumento="DNI", numeroDocumento="12345678")
        url = f"/api/clientes/{cliente['id']}"
        assert error_fields(client.put(url, json={"tipoDocumento": "RUC"}, headers=auth)) == [
            "numeroDocumento"
        ]
        response = client.put(
            url, json={"tipoDocumento": "RUC", "numeroDocumento": "20123456789"}, headers=auth
        )
        assert response.status_code == 200
        assert response.json()["tipoDocumento"] == "RUC"

    def test_an_update_that_changes_nothing_records_nothing(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth)
        response = client.put(
            f"/api/clientes/{cliente['id']}",
            json={"nombre": f"  {cliente['nombre']} "},
            headers=auth,
        )
        assert response.status_code == 200
        assert response.json() == cliente
        assert response.headers["etag"] == '"1"'

    def test_taking_another_clientes_code_is_409(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        create(client, auth, codigoCliente="TAKEN")
        cliente = create(client, auth)
        response = client.put(
            f"/api/clientes/{cliente['id']}", json={"codigoCliente": "taken"}, headers=auth
        )
        assert_problem(response, 409)

    def test_a_cliente_may_change_the_case_of_its_own_code(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth, codigoCliente="mine")
        response = client.put(
            f"/api/clientes/{cliente['id']}", json={"codigoCliente": "MINE"}, headers=auth
        )
        assert response.json()["codigoCliente"] == "MINE"

    def test_a_code_changed_away_from_is_free_again(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth, codigoCliente="OLD")
        client.put(f"/api/clientes/{cliente['id']}", json={"codigoCliente": "NEW"}, headers=auth)
        assert create(client, auth, codigoCliente="old")["codigoCliente"] == "old"
        response = client.post("/api/clientes", json=body(codigoCliente="new"), headers=auth)
        assert_problem(response, 409)

    def test_if_match_with_the_current_etag_succeeds(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        cliente = create(client, auth)
        response = client.put(
            f"/api/clientes/{cliente['id']}",
            json={"nombre": "Otra"},
            headers={**auth, "If-Match": '"1"'},
        )
        assert response.status_code == 200

    @pytest.mark.parametrize("if_match", ['"2"', 'W/"1"', '"x"', '"2", W/"1"', "", " , "])
    def test_if_match_with_a_stale_or_weak_etag_is_412(
        self, client: Client, auth: dict[str, str], if_match: str
    ) -> None:
        cliente = create(client, auth)
        assert_problem(rename_if_match(client, auth, cliente, if_match), 412)
        assert client.get(f"/api/clientes/{cliente['id']}", headers=auth).json() == cliente

    @pytest.mark.parametrize("if_match", ["1", "banana", '"1', "W/1", '"1" "2"', '*, "1"'])
    def test_if_match_that_is_not_entity_tags_is_400_saying_how_to_write_one(
        self, client: Client, auth: dict[str, str], if_match: str
    ) -> None:
        cliente = create(client, auth)
        problem = assert_problem(rename_if_match(client, auth, cliente, if_match), 400)
        assert 'e.g. If-Match: "3"' in problem["detail"]
        assert problem["errors"][0]["field"] == "If-Match"
        assert client.get(f"/api/clientes/{cliente['id']}", headers=auth).json() == cliente

    @pytest.mark.parametrize("if_match", ['"1"', '"7", "1"', "*", ' "1" ', '"7", , "1"'])
    def test_if_match_naming_the_current_version_among_others_succeeds(
        self, client: Client, auth: dict[str, str], if_match: str
    ) -> None:
        cliente = create(client, auth)
        response = rename_if_match(client, auth, cliente, if_match)
        assert response.status_code == 200, response.text

    def test_an_unknown_cliente_is_404(self, client: Client, auth: dict[str, str]) -> None:
        assert_problem(client.put("/api/clientes/77", json={"nombre": "X"}, headers=auth), 404)

    def test_a_deactivated_cliente_is_404(self, client: Client, auth: dict[str, str]) -> None:
        cliente = create(client, auth)
        client.delete(f"/api/clientes/{cliente['id']}", headers=auth)
        response = client.patch(
            f"/api/clientes/{cliente['id']}", json={"nombre": "X"}, headers=auth
        )
        assert_problem(response, 404)

    def test_an_invalid_body_is_400(self, client: Client, auth: dict[str, str]) -> None:
        cliente = create(client, auth)
        response = client.put(
            f"/api/clientes/{cliente['id']}", json={"vigente": False}, headers=auth
        )
        assert error_fields(response) == ["vigente"]


class TestDeactivate:
    def test_removes_the_cliente_from_reads_at_once_and_keeps_its_code(
        self, client: Client, auth: dict[str, str]
    ) -> None:
        kept = create(client, auth)
        gone = create(client, auth, codigoCliente="GONE")
        response = client.delete(f"/api/clientes/{gone['id']}", headers=auth)
        assert response.status_code == 204
        assert response.content == b""
        assert_problem(client.get(f"/api/clientes/{gone['id']}", headers=auth), 404)
        listing = client.get("/api/clientes", headers=auth).json()
        assert [c["id"] for c in listing["content"]] == [kept["id"]]
        assert listing["totalElements"] == 1
        response = client.post("/api/clientes", json=body(codigoCliente="gone"), headers=auth)
        assert_problem(response, 409)

    def test_twice_is_404(self, client: Client, auth: dict[str, str]) -> None:
        cliente = create(client, auth)
        client.delete(f"/api/clientes/{cliente['id']}", headers=auth)
        assert_problem(client.delete(f"/api/clientes/{cliente['id']}", headers=auth), 404)

    def test_an_unknown_cliente_is_404(self, client: Client, auth: dict[str, str]) -> None:
        assert_problem(client.delete("/api/clientes/5", headers=auth), 404)

    def test_if_match_with_a_stale_etag_is_412(self, client: Client, auth: dict[str, str]) -> None:
        cliente = create(client, auth)
        client.put(f"/api/clientes/{cliente['id']}", json={"nombre": "Otra"}, headers=auth)
        response = client.delete(
            f"/api/clientes/{cliente['id']}", headers={**auth, "If-Match": '"1"'}
        )
        assert_problem(response, 412)
        response = client.delete(
            f"/api/clientes/{cliente['id']}", headers={**auth, "If-Match": '"2"'}
        )
        assert response.status_code == 204
