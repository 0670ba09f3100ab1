"""Every filter and sort of the list is answered from an index, on both stores."""

from __future__ import annotations

import re

import pytest

from api.bootstrap import Services
from projections.search import ClienteQuery, SortKey
from stores.sqlite import SQLiteStore
from tests.stores import plan

TEXT = ClienteQuery(text="huaman")
QUERIES = {
    "q": (
        TEXT,
        [
            "text_trigrams|nombre_trgm",
            "text_trigrams|contacto_trgm",
            "codigo_order",
            "numero_prefix",
            "email_prefix",
        ],
    ),
    "q with a phone's digits": (
        ClienteQuery(text="555 0100"),
        ["text_trigrams|telefono_trgm", "text_trigrams|contacto_trgm", "email_prefix"],
    ),
    "codigoCliente": (ClienteQuery(codigo_cliente="ACME-1"), ["codigo_order"]),
    "numeroDocumento": (ClienteQuery(numero_documento="20123456789"), ["clientes_numero\\b"]),
    "tipoCliente": (ClienteQuery(tipo_cliente="EMPRESA"), ["tipo_cliente"]),
    "tipoDocumento": (ClienteQuery(tipo_documento="RUC"), ["tipo_documento"]),
    "sort=nombre": (ClienteQuery(sort=(SortKey("nombre"),)), ["nombre_order"]),
    "sort=nombre,desc": (ClienteQuery(sort=(SortKey("nombre", True),)), ["nombre_order"]),
    "sort=codigoCliente": (ClienteQuery(sort=(SortKey("codigo_cliente"),)), ["codigo_order"]),
    "sort=fechaCreacion,desc": (
        ClienteQuery(sort=(SortKey("fecha_creacion", True),)),
        ["creacion_order"],
    ),
    "sort=fechaModificacion": (
        ClienteQuery(sort=(SortKey("fecha_modificacion"),)),
        ["modificacion_order"],
    ),
    "q&tipoCliente": (ClienteQuery(text="huaman", tipo_cliente="EMPRESA"), []),
}


@pytest.mark.parametrize("name", QUERIES)
def test_the_list_reads_an_index(services: Services, name: str) -> None:
    query, indexes = QUERIES[name]
    statement, params = services.view.select_page(query, 0, 20)
    how = plan(services.settings.store, statement, params)
    for index in indexes:
        assert re.search(index, how), how
    # No row is read that no index has chosen (the count table's few rows aside).
    assert not re.search(r"SCAN clientes$|SCAN clientes\n|Seq Scan on clientes ", how), how


def test_unfiltered_totals_are_the_sum_of_the_kept_counts(services: Services) -> None:
    for query in (ClienteQuery(), ClienteQuery(sort=(SortKey("nombre"),))):
        statement, _ = services.view.select_page(query, 0, 20)
        text = statement if isinstance(services.settings.store, SQLiteStore) else str(statement)
        assert "count(*)" not in text
        assert "clientes_blocks" in text


def test_totals_filtered_by_types_only_are_the_sum_of_the_counts_per_pair(
    services: Services,
) -> None:
    for query in (
        ClienteQuery(tipo_cliente="EMPRESA"),
        ClienteQuery(tipo_documento="DNI", sort=(SortKey("nombre"),)),
        ClienteQuery(tipo_cliente="PERSONA", tipo_documento="CE"),
    ):
        statement, _ = services.view.select_page(query, 0, 20)
        text = statement if isinstance(services.settings.store, SQLiteStore) else str(statement)
        assert "count(*)" not in text
        assert "clientes_tipos" in text
