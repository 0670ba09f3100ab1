"""Finding Clientes through the list: filters, sorts and their 400s, on both stores."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from projections.search import fold
from tests.support import create, error_fields

Client = TestClient[Any]
at = datetime.fromisoformat

# Accents, mixed case and every type of document; codes and numbers chosen so
# that each search below has one right answer.
CLIENTES = [
    {"codigoCliente": "HUA-001", "nombre": "Rosa Huamán", "tipoDocumento": "DNI",
     "numeroDocumento": "41234567"},
    {"codigoCliente": "nun-002", "nombre": "José NÚÑEZ Quispe", "tipoDocumento": "CE",
     "numeroDocumento": "AB1234567"},
    {"codigoCliente": "Emp-003", "nombre": "Ñahui Servicios SAC", "tipoCliente": "EMPRESA",
     "tipoDocumento": "RUC", "numeroDocumento": "20123456789"},
    {"codigoCliente": "acme_4", "nombre": "ACME 100% Garantía", "tipoCliente": "OTRO",
     "tipoDocumento": "OTRO", "numeroDocumento": "Nº-45_%"},
    {"codigoCliente": "NUN-005", "nombre": "nuñez hermanos", "tipoCliente": "EMPRESA",
     "tipoDocumento": "RUC", "numeroDocumento": "20999999999"},
    {"codigoCliente": "QUI-006", "nombre": "MARÍA HUAMANÍ", "tipoDocumento": "DNI",
     "numeroDocumento": "41230000"},
]  # fmt: skip
EVERY = [c["codigoCliente"] for c in CLIENTES]


@pytest.fixture
def codes(client: Client, auth: dict[str, str]) -> dict[str, int]:
    """The Clientes above, created in order: their ids by code."""
    return {c["codigoCliente"]: create(client, auth, **c)["id"] for c in CLIENTES}


def found(client: Client, auth: dict[str, str], query: str) -> list[str]:
    """The codes a list with ``query`` shows on its first page, in its order."""
    response = client.get(f"/api/clientes?size=100&{query}", headers=auth)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["totalElements"] == len(page["content"])
    return [c["codigoCliente"] for c in page["content"]]


@pytest.mark.parametrize(
    ("query", "codes_found"),
    [
        ("q=huaman", ["HUA-001", "QUI-006"]),
        ("q=HUAMÁN", ["HUA-001", "QUI-006"]),
        ("q=NUNEZ", ["nun-002", "NUN-005"]),
        ("q=núñez", ["nun-002", "NUN-005"]),
        ("q=ñahui", ["Emp-003"]),
        ("q=NAHUI", ["Emp-003"]),
        ("q=garantia", ["acme_4"]),
        ("q=%20%20servicios%20sac%20", ["Emp-003"]),
        ("q=ma", ["HUA-001", "NUN-005", "QUI-006"]),  # huaMAn, herMAnos, MAría
        ("q=emp", ["Emp-003"]),  # the start of a code, whatever its case
        ("q=003", []),  # inside a code, not at its start
        ("q=2012", ["Emp-003"]),  # the start of a document number
        ("q=ab12", ["nun-002"]),
        ("q=4123", ["HUA-001", "QUI-006"]),
        ("q=nº-45", ["acme_4"]),
        ("q=", EVERY),  # no filter
        ("q=%20%20", EVERY),
        ("q=%CC%81", EVERY),  # an accent alone folds to nothing, which every text holds
    ],
)
def test_q_finds_text_in_the_nombre_and_the_start_of_codes_and_numbers(
    client: Client, auth: dict[str, str], codes: dict[str, int], query: str, codes_found: list[str]
) -> None:
    assert found(client, auth, query) == codes_found


@pytest.mark.parametrize(
    ("query", "codes_found"),
    [
        ("q=100%25", ["acme_4"]),  # % is a character like any other
        ("q=%25", ["acme_4"]),
        ("q=0%25%20g", ["acme_4"]),
        ("q=1_0", []),  # _ too: it stands for no other character
        ("q=_", []),
        ("q=a_m", []),
        ("q=c%25e", []),
        ("q=\\", []),
        ("q=nº-45_", ["acme_4"]),
        ("q=nº-45_%25", ["acme_4"]),
        ('q="', []),
        ('q=a"b', []),
        ('q=e"%20%22', []),
    ],
)
def test_like_wildcards_in_q_are_plain_characters(
    client: Client, auth: dict[str, str], codes: dict[str, int], query: str, codes_found: list[str]
) -> None:
    assert found(client, auth, query) == codes_found


@pytest.mark.parametrize(
    ("query", "codes_found"),
    [
        ("codigoCliente=hua-001", ["HUA-001"]),
        ("codigoCliente=NUN-002", ["nun-002"]),
        ("codigoCliente=%20nun-005%20", ["NUN-005"]),
        ("codigoCliente=NUN", []),  # exact, not a prefix
        ("numeroDocumento=41234567", ["HUA-001"]),
        ("numeroDocumento=4123", []),
        ("numeroDocumento=ab1234567", []),  # exact, case included
        ("numeroDocumento=N%C2%BA-45_%25", ["acme_4"]),
        ("tipoCliente=PERSONA", ["HUA-001", "nun-002", "QUI-006"]),
        ("tipoCliente=EMPRESA", ["Emp-003", "NUN-005"]),
        ("tipoCliente=OTRO", ["acme_4"]),
        ("tipoDocumento=RUC", ["Emp-003", "NUN-005"]),
        ("tipoDocumento=DNI", ["HUA-001", "QUI-006"]),
        ("tipoDocumento=CE", ["nun-002"]),
        ("tipoDocumento=OTRO", ["acme_4"]),
        ("q=nunez&tipoCliente=EMPRESA", ["NUN-005"]),
        ("q=huaman&tipoDocumento=DNI&numeroDocumento=41230000", ["QUI-006"]),
        ("q=nunez&codigoCliente=hua-001", []),
    ],
)
def test_exact_filters_combine_with_each_other_and_with_q(
    client: Client, auth: dict[str, str], codes: dict[str, int], query: str, codes_found: list[str]
) -> None:
    assert found(client, auth, query) == codes_found


def test_the_totals_count_the_matches_only(
    client: Client, auth: dict[str, str], codes: dict[str, int]
) -> None:
    page = client.get("/api/clientes?q=huaman&size=1&page=1", headers=auth).json()
    assert [c["codigoCliente"] for c in page["content"]] == ["QUI-006"]
    assert (page["totalElements"], page["totalPages"], page["number"]) == (2, 2, 1)
    past = client.get("/api/clientes?q=huaman&size=1&page=5", headers=auth).json()
    assert (past["content"], past["totalElements"], past["totalPages"]) == ([], 2, 2)
    none = client.get("/api/clientes?q=zzz", headers=auth).json()
    assert (none["content"], none["totalElements"], none["totalPages"]) == ([], 0, 0)


@pytest.mark.parametrize("sort", ["", "&sort=nombre,desc", "&sort=fechaCreacion"])
def test_a_page_far_past_the_end_of_the_matches_is_empty(
    client: Client, auth: dict[str, str], codes: dict[str, int], sort: str
) -> None:
    response = client.get(f"/api/clientes?q=huaman&page={2**31 - 1}&size=100{sort}", headers=auth)
    assert response.status_code == 200
    assert (response.json()["content"], response.json()["totalElements"]) == ([], 2)


def test_head_answers_as_the_search_does(
    client: Client, auth: dict[str, str], codes: dict[str, int]
) -> None:
    assert client.head("/api/clientes?q=huaman&sort=nombre", headers=auth).status_code == 200
    assert client.head("/api/clientes?nombre=Rosa", headers=auth).status_code == 400


def test_a_deactivated_or_renamed_cliente_is_found_as_it_is_now(
    client: Client, auth: dict[str, str], codes: dict[str, int]
) -> None:
    client.delete(f"/api/clientes/{codes['HUA-001']}", headers=auth)
    client.patch(f"/api/clientes/{codes['nun-002']}", json={"nombre": "Pedro Huamán"}, headers=auth)
    assert found(client, auth, "q=huaman") == ["nun-002", "QUI-006"]
    assert found(client, auth, "q=nunez") == ["NUN-005"]


def test_type_filters_follow_changes_of_type_and_deactivations(
    client: Client, auth: dict[str, str], codes: dict[str, int]
) -> None:
    assert found(client, auth, "tipoCliente=EMPRESA") == ["Emp-003", "NUN-005"]
    change = {"tipoCliente": "EMPRESA", "tipoDocumento": "RUC", "numeroDocumento": "20111111111"}
    assert client.patch(f"/api/clientes/{codes['QUI-006']}", json=change, headers=auth).is_success
    assert client.delete(f"/api/clientes/{codes['Emp-003']}", headers=auth).status_code == 204
    assert found(client, auth, "tipoCliente=EMPRESA") == ["NUN-005", "QUI-006"]
    assert found(client, auth, "tipoCliente=EMPRESA&tipoDocumento=RUC") == ["NUN-005", "QUI-006"]
    assert found(client, auth, "tipoDocumento=DNI") == ["HUA-001"]
    assert found(client, auth, "tipoCliente=PERSONA&sort=nombre,desc") == ["HUA-001", "nun-002"]


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("sort=nombre", lambda c: (fold(c["nombre"]), c["id"])),
        ("sort=nombre,asc", lambda c: (fold(c["nombre"]), c["id"])),
        ("sort=codigoCliente", lambda c: (c["codigoCliente"].lower(), c["id"])),
        ("sort=id,desc", lambda c: -c["id"]),
        ("sort=fechaCreacion,desc", lambda c: -c["id"]),
        ("sort=fechaModificacion", lambda c: (at(c["fechaModificacion"]), c["id"])),
    ],
)
def test_sorts_order_every_cliente(
    client: Client, auth: dict[str, str], codes: dict[str, int], sort: str, key: Any
) -> None:
    clientes = client.get("/api/clientes?size=100", headers=auth).json()["content"]
    expected = [c["codigoCliente"] for c in sorted(clientes, key=key)]
    assert found(client, auth, sort) == expected


def test_text_sorts_ignore_case_and_accents(
    client: Client, auth: dict[str, str], codes: dict[str, int]
) -> None:
    assert found(client, auth, "sort=nombre") == [
        "acme_4",  # acme 100% garantia
        "nun-002",  # jose nunez quispe
        "QUI-006",  # maria huamani
        "Emp-003",  # nahui servicios sac
        "NUN-005",  # nunez hermanos
        "HUA-001",  # rosa huaman
    ]
    assert found(client, auth, "sort=codigoCliente,desc") == [
        "QUI-006", "NUN-005", "nun-002", "HUA-001", "Emp-003", "acme_4"
    ]  # fmt: skip


def test_ties_end_in_id_ascending_and_the_first_sort_sorts_first(
    client: Client, auth: dict[str, str]
) -> None:
    ids = [
        create(client, auth, nombre=nombre, tipoCliente=tipo)["id"]
        for nombre, tipo in [
            ("Quispe", "PERSONA"),
            ("quispe", "EMPRESA"),
            ("Ana", "EMPRESA"),
            ("QUISPE", "PERSONA"),
        ]
    ]
    listing = client.get("/api/clientes?sort=nombre,desc", headers=auth).json()["content"]
    assert [c["id"] for c in listing] == [ids[0], ids[1], ids[3], ids[2]]
    both = client.get(
        "/api/clientes?sort=nombre,desc&sort=fechaCreacion,desc", headers=auth
    ).json()["content"]
    assert [c["id"] for c in both] == [ids[3], ids[1], ids[0], ids[2]]
    by_id_first = client.get("/api/clientes?sort=id,desc&sort=nombre", headers=auth).json()
    assert [c["id"] for c in by_id_first["content"]] == ids[::-1]


def test_a_change_moves_a_cliente_to_the_end_of_the_modification_order(
    client: Client, auth: dict[str, str], codes: dict[str, int]
) -> None:
    client.patch(f"/api/clientes/{codes['Emp-003']}", json={"email": "e@x.pe"}, headers=auth)
    assert found(client, auth, "sort=fechaModificacion")[-1] == "Emp-003"
    assert found(client, auth, "sort=fechaModificacion,desc")[0] == "Emp-003"
    assert found(client, auth, "sort=fechaCreacion,desc")[0] == "QUI-006"


def test_paging_through_a_filtered_sorted_set_visits_each_match_once(
    client: Client, auth: dict[str, str]
) -> None:
    names = ["Núñez", "NUNEZ", "nuñez", "Huamán", "Ñahui", "nunes"]
    for n in range(30):
        create(client, auth, nombre=f"{names[n % len(names)]} {n % 4}")
    listing = client.get("/api/clientes?size=100", headers=auth).json()["content"]
    matches = sorted(
        (c for c in listing if "nunez" in fold(c["nombre"])),
        key=lambda c: (fold(c["nombre"]), -c["id"]),
        reverse=True,
    )
    seen = []
    for page in range(5):
        response = client.get(
            f"/api/clientes?q=NÚÑEZ&sort=nombre,desc&size=4&page={page}", headers=auth
        ).json()
        assert response["totalElements"] == len(matches) == 15
        assert response["totalPages"] == 4
        seen += [c["id"] for c in response["content"]]
    assert seen == [c["id"] for c in matches]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("foo=1", ["foo"]),
        ("Q=huaman", ["Q"]),
        ("sorting=nombre", ["sorting"]),
        ("codigo_cliente=X", ["codigo_cliente"]),
        ("q=" + "x" * 101, ["q"]),
        ("q=a%00b", ["q"]),
        ("q=a%0Ab", ["q"]),
        ("codigoCliente=a%20b", ["codigoCliente"]),
        ("codigoCliente=%C3%B1", ["codigoCliente"]),
        ("codigoCliente=", ["codigoCliente"]),
        ("numeroDocumento=" + "1" * 21, ["numeroDocumento"]),
        ("numeroDocumento=1%002", ["numeroDocumento"]),
        ("tipoCliente=persona", ["tipoCliente"]),
        ("tipoCliente=", ["tipoCliente"]),
        ("tipoDocumento=PASAPORTE", ["tipoDocumento"]),
        ("sort=apellido", ["sort"]),
        ("sort=tipoCliente", ["sort"]),
        ("sort=nombre,DESC", ["sort"]),
        ("sort=nombre,up", ["sort"]),
        ("sort=nombre,", ["sort"]),
        ("sort=nombre,asc,id", ["sort"]),
        ("sort=", ["sort"]),
        ("sort=id&sort=bad", ["sort"]),
        ("bar=1&q=%01&tipoCliente=X&sort=x", ["bar", "q", "tipoCliente", "sort"]),
    ],
)
def test_an_unknown_parameter_or_a_bad_value_is_400_and_named(
    client: Client, auth: dict[str, str], query: str, fields: list[str]
) -> None:
    assert error_fields(client.get(f"/api/clientes?{query}", headers=auth)) == fields


def test_q_of_100_characters_after_trimming_is_accepted(
    client: Client, auth: dict[str, str]
) -> None:
    response = client.get(f"/api/clientes?q=%20{'x' * 100}%20", headers=auth)
    assert response.status_code == 200
