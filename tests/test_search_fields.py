"""What `q` looks in beyond the nombre and the codes: the representative, the start of
the e-mail and the phone's digits (the contract's "Finding clients"), on both stores."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from litestar.testing import TestClient

from api.bootstrap import Services
from projections.search import fold, folded_values, matches
from tests.support import create

Client = TestClient[Any]

CLIENTES = [
    {"codigoCliente": "REP-1", "nombre": "Ferretería Sur SAC", "tipoCliente": "EMPRESA",
     "tipoDocumento": "RUC", "numeroDocumento": "20111111111",
     "contactoRepresentante": "Rosa Huamán Quispe", "email": "Ventas@FerreSur.pe",
     "telefono": "+51 1 555-0100"},
    {"codigoCliente": "REP-2", "nombre": "Luis Rojas", "tipoDocumento": "DNI",
     "numeroDocumento": "41111111", "email": "luis.rojas@correo.pe", "telefono": "(01) 444 0100"},
    {"codigoCliente": "REP-3", "nombre": "Comercial Andina EIRL", "tipoCliente": "EMPRESA",
     "tipoDocumento": "RUC", "numeroDocumento": "20222222222",
     "contactoRepresentante": "José Núñez", "telefono": "999 888 777"},
    {"codigoCliente": "REP-4", "nombre": "Ana Torres", "tipoDocumento": "DNI",
     "numeroDocumento": "42222222"},
]  # fmt: skip

SEARCHES = [
    ("huaman", ["REP-1"]),  # in the representative, accents and case aside
    ("QUISPE", ["REP-1"]),  # anywhere in it
    ("núñez", ["REP-3"]),
    ("ventas@", ["REP-1"]),  # the start of the e-mail, whatever its case
    ("VENTAS@FERRESUR.PE", ["REP-1"]),
    ("luis.r", ["REP-2"]),
    ("ferresur", []),  # inside the e-mail, not at its start (and in no name)
    ("correo.pe", []),
    ("555 0100", ["REP-1"]),  # the phone's digits, whatever separates them
    ("5550100", ["REP-1"]),
    ("555-0100", ["REP-1"]),
    ("0100", []),  # fewer than 6 digits look for no phone (nor code, number or name)
    ("01) 444", []),  # 5 digits
    ("014440100", ["REP-2"]),
    ("888777", ["REP-3"]),
    ("888 7", []),
    ("51155501000", []),  # more digits than the phone holds
]


@pytest.fixture
def created(client: Client, auth: dict[str, str]) -> None:
    for cliente in CLIENTES:
        create(client, auth, **cliente)


@pytest.mark.parametrize(("q", "codes"), SEARCHES, ids=[q for q, _ in SEARCHES])
@pytest.mark.usefixtures("created")
def test_q_finds_the_representative_the_start_of_the_email_and_the_phone_s_digits(
    client: Client, auth: dict[str, str], q: str, codes: list[str]
) -> None:
    response = client.get(f"/api/clientes?q={quote(q)}", headers=auth)
    assert response.status_code == 200, response.text
    page = response.json()
    assert [c["codigoCliente"] for c in page["content"]] == codes
    assert page["totalElements"] == len(codes)


@pytest.mark.usefixtures("created")
def test_a_change_of_the_searched_fields_is_found_as_it_is_now(
    client: Client, auth: dict[str, str]
) -> None:
    ids = {
        c["codigoCliente"]: c["id"]
        for c in client.get("/api/clientes", headers=auth).json()["content"]
    }
    changed = client.patch(
        f"/api/clientes/{ids['REP-1']}",
        json={"contactoRepresentante": None, "email": "compras@ferresur.pe", "telefono": None},
        headers=auth,
    )
    assert changed.status_code == 200, changed.text

    def codes(q: str) -> list[str]:
        page = client.get(f"/api/clientes?q={quote(q)}", headers=auth).json()
        return [c["codigoCliente"] for c in page["content"]]

    assert codes("huaman") == []
    assert codes("ventas@") == []
    assert codes("compras@") == ["REP-1"]
    assert codes("555 0100") == []


@pytest.mark.usefixtures("created")
def test_the_kept_counts_test_a_row_as_the_store_does(services: Services) -> None:
    """A kept term's count is moved in Python (projections/search.py, matches): for every
    search above, it finds the rows the store's statement finds."""
    rows, _ = services.view.page(0, 100)
    for q, codes in SEARCHES:
        wanted = [row.codigo_cliente for row in rows if matches(fold(q), folded_values(row))]
        assert wanted == codes, q
