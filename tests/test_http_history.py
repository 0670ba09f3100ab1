"""The audit trail and past states of a Cliente, read from the event store."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.support import body

Client = TestClient[Any]
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.fixture
def as_(token: Callable[..., str]) -> Callable[[str], dict[str, str]]:
    return lambda sub: {"Authorization": f"Bearer {token(sub)}"}


def lived(client: Client, as_: Callable[[str], dict[str, str]]) -> tuple[int, list[dict[str, Any]]]:
    """A Cliente created by ana, changed twice by luis, deactivated by ana.

    Returns its id and what the API answered after each write.
    """
    created = client.post(
        "/api/clientes",
        json=body(codigoCliente="HIST-1", email="a@example.com"),
        headers=as_("ana"),
    ).json()
    url = f"/api/clientes/{created['id']}"
    second = client.patch(url, json={"nombre": "Rosa Quispe"}, headers=as_("luis")).json()
    third = client.put(
        url, json={"email": "rosa@example.com", "telefono": "987654321"}, headers=as_("luis")
    ).json()
    assert client.delete(url, headers=as_("ana")).status_code == 204
    return created["id"], [created, second, third]


def test_the_history_tells_who_changed_what_and_when(
    client: Client, as_: Callable[[str], dict[str, str]]
) -> None:
    cliente_id, answers = lived(client, as_)
    response = client.get(f"/api/clientes/{cliente_id}/history", headers=as_("auditora"))
    assert response.status_code == 200
    history = response.json()
    assert history["clienteId"] == cliente_id
    events = history["events"]
    assert [(e["type"], e["version"], e["actor"]) for e in events] == [
        ("ClienteCreated", 1, "ana"),
        ("ClienteUpdated", 2, "luis"),
        ("ClienteUpdated", 3, "luis"),
        ("ClienteDeactivated", 4, "ana"),
    ]
    created = answers[0]
    assert events[0]["data"] == {
        key: created[key]
        for key in (
            "codigoCliente",
            "nombre",
            "tipoCliente",
            "tipoDocumento",
            "numeroDocumento",
            "direccion",
            "telefono",
            "email",
            "contactoRepresentante",
        )
    }
    assert events[1]["data"] == {"nombre": "Rosa Quispe"}
    assert events[2]["data"] == {"email": "rosa@example.com", "telefono": "987654321"}
    assert events[3]["data"] == {}
    assert all(RFC3339_UTC.match(e["timestamp"]) for e in events)
    assert [e["timestamp"] for e in events[:3]] == [a["fechaModificacion"] for a in answers]
    assert sorted(e["timestamp"] for e in events) == [e["timestamp"] for e in events]


def test_every_past_state_is_what_the_api_answered_then(
    client: Client, as_: Callable[[str], dict[str, str]]
) -> None:
    cliente_id, answers = lived(client, as_)
    for answer in answers:
        response = client.get(
            f"/api/clientes/{cliente_id}?version={answer['version']}", headers=as_("auditora")
        )
        assert response.status_code == 200
        assert response.json() == answer
        assert response.headers["etag"] == f'"{answer["version"]}"'
    deactivated = client.get(f"/api/clientes/{cliente_id}?version=4", headers=as_("auditora"))
    assert deactivated.json() == {
        **answers[-1],
        "vigente": False,
        "version": 4,
        "fechaModificacion": deactivated.json()["fechaModificacion"],
    }


@pytest.mark.parametrize("version", ["5", "0", str(2**63 - 1)])
def test_a_version_the_cliente_never_had_is_404(
    client: Client, as_: Callable[[str], dict[str, str]], version: str
) -> None:
    cliente_id, _ = lived(client, as_)
    response = client.get(f"/api/clientes/{cliente_id}?version={version}", headers=as_("a"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("version", ["x", "-1", "+1", "1e3", "1.0", str(2**63), "9" * 30])
def test_a_version_that_is_not_a_whole_number_in_plain_digits_is_400(
    client: Client, as_: Callable[[str], dict[str, str]], version: str
) -> None:
    cliente_id, _ = lived(client, as_)
    response = client.get(f"/api/clientes/{cliente_id}?version={version}", headers=as_("a"))
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["version"]


@pytest.mark.parametrize("cliente_id", ["999", "0", "abc"])
def test_the_history_of_a_cliente_that_never_existed_is_404(
    client: Client, as_: Callable[[str], dict[str, str]], cliente_id: str
) -> None:
    assert client.get(f"/api/clientes/{cliente_id}/history", headers=as_("a")).status_code == 404
    assert client.get(f"/api/clientes/{cliente_id}?version=1", headers=as_("a")).status_code == 404


def test_a_page_after_the_last_version_is_empty(
    client: Client, as_: Callable[[str], dict[str, str]]
) -> None:
    cliente_id, _ = lived(client, as_)
    for after in ("4", str(2**63 - 1)):
        response = client.get(
            f"/api/clientes/{cliente_id}/history?afterVersion={after}", headers=as_("a")
        )
        assert response.status_code == 200
        assert response.json() == {"clienteId": cliente_id, "events": []}


def test_a_long_history_is_read_page_by_page(
    client: Client, as_: Callable[[str], dict[str, str]]
) -> None:
    cliente_id = client.post("/api/clientes", json=body(), headers=as_("a")).json()["id"]
    for n in range(9):
        client.patch(
            f"/api/clientes/{cliente_id}", json={"direccion": f"Calle {n}"}, headers=as_("a")
        )
    versions: list[int] = []
    after = 0
    while True:
        page = client.get(
            f"/api/clientes/{cliente_id}/history?afterVersion={after}&limit=4", headers=as_("a")
        ).json()["events"]
        versions += [e["version"] for e in page]
        if len(page) < 4:
            break
        after = page[-1]["version"]
    assert versions == list(range(1, 11))


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "afterVersion=-1", "limit=x"])
def test_bad_history_paging_is_400(
    client: Client, as_: Callable[[str], dict[str, str]], query: str
) -> None:
    cliente_id = client.post("/api/clientes", json=body(), headers=as_("a")).json()["id"]
    response = client.get(f"/api/clientes/{cliente_id}/history?{query}", headers=as_("a"))
    assert response.status_code == 400


def test_reading_history_needs_the_read_scope(client: Client, token: Callable[..., str]) -> None:
    writer = {"Authorization": f"Bearer {token(scope='clientes:write')}"}
    cliente_id = client.post("/api/clientes", json=body(), headers=writer).json()["id"]
    assert client.get(f"/api/clientes/{cliente_id}/history", headers=writer).status_code == 403
    assert client.get(f"/api/clientes/{cliente_id}/history").status_code == 401
