"""The read table's columns, derived from the row's fields, without I/O."""

from __future__ import annotations

from datetime import datetime
from types import ModuleType
from typing import Literal

import msgspec
import pytest

from commands.validation import FIELDS
from projections.columns import Column, column_definitions
from projections.rows import COLUMNS, DATOS_COLUMNS, STORED_COLUMNS
from projections.search import FOLDED_COLUMNS
from projections.statements import add_column, stored_columns
from stores.postgres import read_table as postgres
from stores.sqlite import read_table as sqlite

TYPES = {int: "INT", str: "TXT", datetime: "TS"}


class Sample(msgspec.Struct):
    name: str
    key: int
    kind: Literal["A", "B"]
    note: str | None
    at: datetime


def test_the_key_comes_first_and_the_other_fields_follow_in_order() -> None:
    assert column_definitions(Sample, TYPES, key="key") == (
        "key INT PRIMARY KEY, name TXT NOT NULL, kind TXT NOT NULL, note TXT, at TS NOT NULL"
    )


def test_a_field_of_a_type_the_store_cannot_hold_is_refused() -> None:
    class Odd(msgspec.Struct):
        key: int
        ratio: float

    with pytest.raises(TypeError, match="ratio"):
        column_definitions(Odd, TYPES, key="key")


def test_the_row_is_the_clientes_data_with_its_id_version_and_times() -> None:
    assert DATOS_COLUMNS == FIELDS
    assert set(COLUMNS) - set(FIELDS) == {"id", "version", "fecha_creacion", "fecha_modificacion"}


@pytest.mark.parametrize(
    "table_columns", [sqlite.TABLE_COLUMNS, postgres.TABLE_COLUMNS], ids=["sqlite", "postgres"]
)
def test_each_store_names_every_field_of_the_row_once(table_columns: str) -> None:
    columns = {column.split()[0]: column for column in table_columns.split(", ")}
    assert list(columns) == ["id", *(name for name in COLUMNS if name != "id"), *FOLDED_COLUMNS]
    assert columns["id"].endswith("PRIMARY KEY")
    nullable = {name for name, column in columns.items() if not column.endswith(("NULL", "KEY"))}
    assert nullable == {"direccion", "telefono", "email", "contacto_representante"}


def test_the_tables_are_the_ones_earlier_releases_created_and_the_folded_copies() -> None:
    assert sqlite.TABLE_COLUMNS == (
        "id INTEGER PRIMARY KEY, codigo_cliente TEXT NOT NULL, nombre TEXT NOT NULL, "
        "tipo_cliente TEXT NOT NULL, tipo_documento TEXT NOT NULL, "
        "numero_documento TEXT NOT NULL, direccion TEXT, telefono TEXT, email TEXT, "
        "contacto_representante TEXT, version INTEGER NOT NULL, "
        "fecha_creacion TEXT NOT NULL, fecha_modificacion TEXT NOT NULL, "
        "nombre_folded TEXT NOT NULL, codigo_cliente_folded TEXT NOT NULL, "
        "numero_documento_folded TEXT NOT NULL, contacto_representante_folded TEXT NOT NULL, "
        "email_folded TEXT NOT NULL, telefono_digits TEXT NOT NULL"
    )
    assert postgres.TABLE_COLUMNS == (
        "id bigint PRIMARY KEY, codigo_cliente text NOT NULL, nombre text NOT NULL, "
        "tipo_cliente text NOT NULL, tipo_documento text NOT NULL, "
        "numero_documento text NOT NULL, direccion text, telefono text, email text, "
        "contacto_representante text, version bigint NOT NULL, "
        "fecha_creacion timestamptz NOT NULL, fecha_modificacion timestamptz NOT NULL, "
        'nombre_folded text COLLATE "C" NOT NULL, codigo_cliente_folded text COLLATE "C" NOT NULL, '
        'numero_documento_folded text COLLATE "C" NOT NULL, '
        'contacto_representante_folded text COLLATE "C" NOT NULL, '
        'email_folded text COLLATE "C" NOT NULL, telefono_digits text COLLATE "C" NOT NULL'
    )


@pytest.mark.parametrize("store", [sqlite, postgres], ids=["sqlite", "postgres"])
def test_a_column_added_at_start_is_declared_as_the_table_declares_it(
    store: ModuleType,
) -> None:
    declared = {column.split()[0]: column for column in store.TABLE_COLUMNS.split(", ")}
    stored = stored_columns(store.COLUMN_TYPES, store.FOLDED_TYPE)
    assert [column.name for column in stored] == list(STORED_COLUMNS)
    assert {c.name: c.definition() for c in stored if c.name != "id"} == {
        name: column for name, column in declared.items() if name != "id"
    }


def test_a_column_added_to_a_table_with_rows_admits_null() -> None:
    version = Column("version", "INTEGER", nullable=False)
    assert add_column(version, nullable=False) == (
        "ALTER TABLE {rows} ADD COLUMN version INTEGER NOT NULL"
    )
    assert add_column(version, nullable=True) == "ALTER TABLE {rows} ADD COLUMN version INTEGER"
    email = Column("email", "TEXT", nullable=True)
    assert add_column(email, nullable=False) == "ALTER TABLE {rows} ADD COLUMN email TEXT"
