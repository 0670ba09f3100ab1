"""The rules a Cliente's fields obey, declared once.

Strings are trimmed first; an optional field that is empty after trimming
becomes null. Every offending field is reported, not only the first, which
is why each field is checked on its own rather than by converting a whole
Struct (msgspec stops at the first error).
"""

import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

import msgspec
from msgspec import Meta

from commands.errors import FieldError, ValidationFailed

TipoCliente = Literal["PERSONA", "EMPRESA", "OTRO"]
TipoDocumento = Literal["RUC", "DNI", "CE", "OTRO"]

TIPOS_CLIENTE: Final = ("PERSONA", "EMPRESA", "OTRO")
TIPOS_DOCUMENTO: Final = ("RUC", "DNI", "CE", "OTRO")

# Deliberately plain: a local part of the usual characters, an "@", and a
# domain of dot-separated labels ending in an alphabetic top-level domain.
EMAIL_PATTERN: Final = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)

Nombre = Annotated[str, Meta(min_length=1, max_length=150)]
CodigoCliente = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,50}$")]
Direccion = Annotated[str, Meta(max_length=200)]
Telefono = Annotated[str, Meta(pattern=r"^[0-9 +()-]{6,20}$")]
Email = Annotated[str, Meta(max_length=254, pattern=EMAIL_PATTERN)]
ContactoRepresentante = Annotated[str, Meta(max_length=150)]

NumeroRuc = Annotated[str, Meta(pattern=r"^[0-9]{11}$")]
NumeroDni = Annotated[str, Meta(pattern=r"^[0-9]{8}$")]
NumeroCe = Annotated[str, Meta(pattern=r"^[A-Za-z0-9]{9,12}$")]
NumeroOtro = Annotated[str, Meta(min_length=1, max_length=20)]

NUMERO_DOCUMENTO_RULES: Final[Mapping[str, tuple[Any, str]]] = {
    "RUC": (NumeroRuc, "must be exactly 11 digits for RUC"),
    "DNI": (NumeroDni, "must be exactly 8 digits for DNI"),
    "CE": (NumeroCe, "must be 9 to 12 letters or digits for CE"),
    "OTRO": (NumeroOtro, "must be 1 to 20 characters for OTRO"),
}

# field name -> (type it must convert to, message when it does not)
FIELD_RULES: Final[Mapping[str, tuple[Any, str]]] = {
    "codigo_cliente": (CodigoCliente, "must be 1 to 50 characters from A-Z a-z 0-9 . _ -"),
    "nombre": (Nombre, "must be 1 to 150 characters"),
    "tipo_cliente": (TipoCliente, "must be one of " + ", ".join(TIPOS_CLIENTE)),
    "tipo_documento": (TipoDocumento, "must be one of " + ", ".join(TIPOS_DOCUMENTO)),
    "direccion": (Direccion, "must be at most 200 characters"),
    "telefono": (Telefono, "must be 6 to 20 characters from digits, space, + - ( )"),
    "email": (Email, "must be a valid e-mail address of at most 254 characters"),
    "contacto_representante": (ContactoRepresentante, "must be at most 150 characters"),
}

# Control characters (NUL among them, which PostgreSQL text cannot hold) and lone surrogates.
UNPRINTABLE: Final = frozenset({"Cc", "Cs"})

REQUIRED: Final = frozenset(
    {"codigo_cliente", "nombre", "tipo_cliente", "tipo_documento", "numero_documento"}
)


class ClienteDatos(msgspec.Struct, frozen=True, kw_only=True):
    """The validated, normalised fields of a Cliente."""

    codigo_cliente: str
    nombre: str
    tipo_cliente: TipoCliente
    tipo_documento: TipoDocumento
    numero_documento: str
    direccion: str | None = None
    telefono: str | None = None
    email: str | None = None
    contacto_representante: str | None = None


FIELDS: Final = ClienteDatos.__struct_fields__


def describe_rule(name: str) -> str:
    """The rule of a field in words, for documentation."""
    if name == "numero_documento":
        rule = "; ".join(message for _, message in NUMERO_DOCUMENTO_RULES.values())
    else:
        rule = FIELD_RULES[name][1]
    return f"{'Required' if name in REQUIRED else 'Optional'}; {rule} (after trimming)."


def normalise(name: str, value: str | None) -> str | None:
    """Trims a value; an optional field left empty becomes None."""
    if value is None:
        return None
    value = value.strip()
    if not value and name not in REQUIRED:
        return None
    return value


def validate(values: Mapping[str, str | None]) -> ClienteDatos:
    """Checks every field of a would-be Cliente and returns it normalised.

    Raises ValidationFailed naming every offending field.
    """
    unknown = values.keys() - set(FIELDS)
    if unknown:
        raise ValidationFailed([FieldError(name, "is not a field") for name in sorted(unknown)])
    normalised = {name: normalise(name, values.get(name)) for name in FIELDS}
    errors = [
        FieldError(name, message)
        for name in FIELDS
        if (message := _check(name, normalised)) is not None
    ]
    if errors:
        raise ValidationFailed(errors)
    return msgspec.convert(normalised, ClienteDatos)


def _check(name: str, values: Mapping[str, str | None]) -> str | None:
    value = values[name]
    if value is None:
        return "is required" if name in REQUIRED else None
    if any(unicodedata.category(char) in UNPRINTABLE for char in value):
        return "must not contain control characters"
    if name == "numero_documento":
        tipo = values["tipo_documento"] or ""
        if tipo not in NUMERO_DOCUMENTO_RULES:
            return None  # tipoDocumento carries the error; no rule to check against
        rule, message = NUMERO_DOCUMENTO_RULES[tipo]
    else:
        rule, message = FIELD_RULES[name]
    try:
        msgspec.convert(value, rule)
    except msgspec.ValidationError:
        return message
    return None
