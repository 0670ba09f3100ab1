"""Folding a batch of changes into the rows it touches, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from projections.rows import SPAN, SPANS_PER_BLOCK, ClienteRow, RowChanges

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def row(cliente_id: int, codigo: str = "C", version: int = 1) -> ClienteRow:
    return ClienteRow(
        id=cliente_id,
        codigo_cliente=codigo,
        nombre="Rosa",
        tipo_cliente="PERSONA",
        tipo_documento="DNI",
        numero_documento="12345678",
        direccion=None,
        telefono=None,
        email=None,
        contacto_representante=None,
        version=version,
        fecha_creacion=T0,
        fecha_modificacion=T0,
    )


def test_an_added_row_counts_and_is_written() -> None:
    changes = RowChanges()
    changes.add(row(1))
    assert changes.final_rows() == [row(1)]
    assert changes.total_delta == 1


def test_a_change_applies_to_the_row_and_stamps_version_and_time() -> None:
    changes = RowChanges([row(7)])
    later = T0 + timedelta(minutes=1)
    changes.change(7, {"email": "r@example.com"}, version=2, at=later)
    [changed] = changes.final_rows()
    assert (changed.email, changed.version, changed.fecha_modificacion) == (
        "r@example.com",
        2,
        later,
    )
    assert changed.fecha_creacion == T0
    assert changes.total_delta == 0


def test_a_row_added_changed_and_removed_in_one_batch_leaves_nothing() -> None:
    changes = RowChanges()
    changes.add(row(1))
    changes.change(1, {"nombre": "Otra"}, version=2, at=T0)
    changes.remove(1)
    assert changes.final_rows() == []
    assert changes.touched == {1}
    assert changes.total_delta == 0


def test_each_pair_of_types_counts_its_rows_and_a_change_of_type_moves_the_count() -> None:
    changes = RowChanges([row(5), row(9)])
    changes.add(row(12))
    changes.change(5, {"tipo_cliente": "EMPRESA", "tipo_documento": "RUC"}, version=2, at=T0)
    changes.change(9, {"nombre": "Nueve"}, version=2, at=T0)
    changes.remove(9)
    assert changes.tipos_deltas == {("PERSONA", "DNI"): -1, ("EMPRESA", "RUC"): +1}


def test_each_span_and_each_block_of_ids_counts_its_rows() -> None:
    block = SPAN * SPANS_PER_BLOCK
    changes = RowChanges([row(5), row(block + 1)])
    for cliente_id in (7, SPAN + 7, block + 2):
        changes.add(row(cliente_id))
    changes.remove(5)
    changes.remove(block + 1)
    assert changes.count_deltas == {0: 0, 1: +1, SPANS_PER_BLOCK: 0}
    assert changes.block_deltas == {0: +1, 1: 0}
    assert changes.total_delta == 1


def test_final_rows_come_in_id_order_and_untouched_rows_are_left_alone() -> None:
    changes = RowChanges([row(5), row(9)])
    changes.add(row(12))
    changes.change(5, {"nombre": "Cinco"}, version=2, at=T0)
    assert [r.id for r in changes.final_rows()] == [5, 12]
    assert changes.touched == {5, 12}


def test_a_change_to_a_row_that_is_not_there_is_an_error() -> None:
    with pytest.raises(LookupError):
        RowChanges().change(3, {"nombre": "X"}, version=2, at=T0)
    with pytest.raises(LookupError):
        RowChanges().remove(3)


def test_a_batch_adds_to_each_kept_term_what_it_changes() -> None:
    rosa = msgspec.structs.replace(row(1, "AB-1"), nombre="Rosa Huamán", numero_documento="4001")
    changes = RowChanges([rosa])
    changes.change(1, {"nombre": "Rosa Quispe", "codigo_cliente": "QU-1"}, 2, T0)
    ana = msgspec.structs.replace(row(9, "HU-9"), nombre="Ana Huamán", numero_documento="4009")
    changes.add(ana)
    assert changes.term_deltas(["huaman", "quispe", "ab", "qu", "400", "hu", "zz"]) == {
        "quispe": 1,  # Rosa, renamed
        "ab": -1,  # her code no longer starts with it
        "qu": 1,  # it starts her new code, and it is in her new nombre: one Cliente
        "400": 1,  # Ana's number; Rosa's still starts with it
    }  # "huaman" and "hu" find Ana, and Rosa no longer: no change
