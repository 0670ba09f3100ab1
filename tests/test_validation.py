"""Every field rule of the contract, accepted and refused, at its boundaries."""

from __future__ import annotations

import pytest

from commands import ValidationFailed, validate
from tests.support import fields


def offending(**overrides: str | None) -> list[str]:
    """The fields validation names for a Cliente with these overrides."""
    try:
        validate(fields(**overrides))
    except ValidationFailed as failure:
        return [error.field for error in failure.errors]
    return []


def test_a_valid_cliente_passes_and_comes_back_normalised() -> None:
    datos = validate(fields(nombre="  Juana  ", direccion="   ", email=" j@example.com "))
    assert datos.nombre == "Juana"
    assert datos.direccion is None
    assert datos.email == "j@example.com"


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("nombre", "J", True),
        ("nombre", "n" * 150, True),
        ("nombre", "n" * 151, False),
        ("nombre", "", False),
        ("nombre", "   ", False),
        ("nombre", "  " + "n" * 150 + "  ", True),
        ("codigo_cliente", "A", True),
        ("codigo_cliente", "c" * 50, True),
        ("codigo_cliente", "c" * 51, False),
        ("codigo_cliente", "Az09._-", True),
        ("codigo_cliente", "with space", False),
        ("codigo_cliente", "año", False),
        ("codigo_cliente", "a/b", False),
        ("codigo_cliente", "", False),
        ("tipo_cliente", "PERSONA", True),
        ("tipo_cliente", "EMPRESA", True),
        ("tipo_cliente", "OTRO", True),
        ("tipo_cliente", "persona", False),
        ("tipo_cliente", "CLIENTE", False),
        ("direccion", "d" * 200, True),
        ("direccion", "d" * 201, False),
        ("telefono", "12345", False),
        ("telefono", "123456", True),
        ("telefono", "1" * 20, True),
        ("telefono", "1" * 21, False),
        ("telefono", "+51 (1) 234-5678", True),
        ("telefono", "555-CALL", False),
        ("email", "juana@example.com", True),
        ("email", "juana.quispe+obras@mail.example.pe", True),
        ("email", "juana", False),
        ("email", "juana@", False),
        ("email", "@example.com", False),
        ("email", "juana@example", False),
        ("email", "ju ana@example.com", False),
        ("email", "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "c" * 6, True),
        ("email", "a" * 65 + "@" + ("b" * 60 + ".") * 3 + "c" * 6, False),
        ("contacto_representante", "c" * 150, True),
        ("contacto_representante", "c" * 151, False),
        ("nombre", "Juana\x00Quispe", False),
        ("direccion", "Av. Lima\n123", False),
        ("contacto_representante", "Rosa\tHuamán", False),
        ("nombre", "Ñandú Åström 李", True),
    ],
)
def test_field_rule(field: str, value: str, valid: bool) -> None:
    assert offending(**{field: value}) == ([] if valid else [field])


@pytest.mark.parametrize(
    ("tipo", "numero", "valid"),
    [
        ("DNI", "1234567", False),
        ("DNI", "12345678", True),
        ("DNI", "123456789", False),
        ("DNI", "1234567a", False),
        ("DNI", "١٢٣٤٥٦٧٨", False),
        ("RUC", "1234567890", False),
        ("RUC", "12345678901", True),
        ("RUC", "123456789012", False),
        ("CE", "A1234567", False),
        ("CE", "A12345678", True),
        ("CE", "A12345678901", True),
        ("CE", "A123456789012", False),
        ("CE", "A1234-5678", False),
        ("OTRO", "", False),
        ("OTRO", "x", True),
        ("OTRO", "p-123 / 45" + "x" * 10, True),
        ("OTRO", "x" * 21, False),
    ],
)
def test_numero_documento_follows_tipo_documento(tipo: str, numero: str, valid: bool) -> None:
    assert offending(tipo_documento=tipo, numero_documento=numero) == (
        [] if valid else ["numero_documento"]
    )


def test_an_unknown_tipo_documento_is_named_and_the_numero_left_alone() -> None:
    assert offending(tipo_documento="PASAPORTE", numero_documento="x") == ["tipo_documento"]


@pytest.mark.parametrize(
    "field", ["codigo_cliente", "nombre", "tipo_cliente", "tipo_documento", "numero_documento"]
)
def test_required_fields_cannot_be_missing(field: str) -> None:
    assert offending(**{field: None}) == [field]


def test_optional_fields_may_be_missing() -> None:
    datos = validate(fields())
    assert (datos.direccion, datos.telefono, datos.email, datos.contacto_representante) == (
        None,
        None,
        None,
        None,
    )


def test_every_offending_field_is_named() -> None:
    assert offending(nombre="", telefono="x", email="nope", codigo_cliente="a b") == [
        "codigo_cliente",
        "nombre",
        "telefono",
        "email",
    ]


def test_a_field_that_is_not_a_cliente_field_is_refused() -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate({**fields(), "saldo": "1"})
    assert [e.field for e in failure.value.errors] == ["saldo"]
