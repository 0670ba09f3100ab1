"""The rules a Cliente's fields obey, declared once.

Each rule is a regular expression over the value as it arrives, surrounding
spaces included, so that the same text both decides here and documents the
API (the OpenAPI document shows these patterns). Trimming is spelled out:
a value may carry spaces, tabs and line breaks around it, never inside it,
and the rule applies to what is left. An optional field left empty becomes
null. Every offending field is reported, not only the first.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Annotated, Final, Literal

import msgspec
from msgspec import Meta

from commands.errors import FieldError, ValidationFailed

TipoCliente = Literal["PERSONA", "EMPRESA", "OTRO"]
TipoDocumento = Literal["RUC", "DNI", "CE", "OTRO"]

TIPOS_CLIENTE: Final = ("PERSONA", "EMPRESA", "OTRO")
TIPOS_DOCUMENTO: Final = ("RUC", "DNI", "CE", "OTRO")

SPACE: Final = " \t\n\r"  # what trimming removes from both ends

_AROUND = r"[ \t\n\r]*"
_PRINTABLE = r"[^\x00-\x1f\x7f-\x9f]"  # anything but a control character
_VISIBLE = r"[^ \x00-\x1f\x7f-\x9f]"  # printable, and not a space

# Deliberately plain: a local part of the usual characters, an "@", and a
# domain of dot-separated labels ending in an alphabetic top-level domain.
_EMAIL = (
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def _trimmed(inner: str, *, optional: bool = False) -> str:
    """``inner`` with trimmable spaces around it; with ``optional``, or nothing at all."""
    return f"^{_AROUND}(?:{inner}){'?' if optional else ''}{_AROUND}$"


def _text(most: int) -> str:
    """1 to ``most`` printable characters that start and end with a visible one."""
    return f"{_VISIBLE}(?:{_PRINTABLE}{{0,{most - 2}}}{_VISIBLE})?"


@dataclass(frozen=True)
class Rule:
    pattern: str
    message: str
    most: int | None = None  # characters, as sent, when the pattern cannot count them

    def allows(self, value: str) -> bool:
        # As sent, spaces included: what the schema's maxLength counts too.
        if self.most is not None and len(value) > self.most:
            return False
        # fullmatch: a "$" would otherwise let a value end in a line break.
        return re.fullmatch(self.pattern, value) is not None


def _one_of(values: Collection[str]) -> str:
    return "^(?:" + "|".join(values) + ")$"


CODIGO_CLIENTE: Final = Rule(
    _trimmed(r"[A-Za-z0-9._-]{1,50}"), "must be 1 to 50 characters from A-Z a-z 0-9 . _ -"
)
NOMBRE: Final = Rule(_trimmed(_text(150)), "must be 1 to 150 characters, none of them control")
TIPO_CLIENTE: Final = Rule(_one_of(TIPOS_CLIENTE), "must be one of " + ", ".join(TIPOS_CLIENTE))
TIPO_DOCUMENTO: Final = Rule(
    _one_of(TIPOS_DOCUMENTO), "must be one of " + ", ".join(TIPOS_DOCUMENTO)
)
DIRECCION: Final = Rule(
    _trimmed(_text(200), optional=True), "must be at most 200 characters, none of them control"
)
TELEFONO: Final = Rule(
    _trimmed(r"[0-9+()-][0-9 +()-]{4,18}[0-9+()-]", optional=True),
    "must be 6 to 20 characters from digits, space, + - ( )",
)
EMAIL: Final = Rule(
    _trimmed(_EMAIL, optional=True),
    "must be a valid e-mail address of at most 254 characters",
    most=254,
)
CONTACTO_REPRESENTANTE: Final = Rule(
    _trimmed(_text(150), optional=True), "must be at most 150 characters, none of them control"
)

# numeroDocumento follows tipoDocumento; OTRO's rule admits every other one's numbers.
NUMERO_DOCUMENTO: Final[Mapping[str, Rule]] = {
    "RUC": Rule(_trimmed(r"[0-9]{11}"), "must be exactly 11 digits for RUC"),
    "DNI": Rule(_trimmed(r"[0-9]{8}"), "must be exactly 8 digits for DNI"),
    "CE": Rule(_trimmed(r"[A-Za-z0-9]{9,12}"), "must be 9 to 12 letters or digits for CE"),
    "OTRO": Rule(_trimmed(_text(20)), "must be 1 to 20 characters for OTRO"),
}
ANY_NUMERO_DOCUMENTO: Final = Rule(NUMERO_DOCUMENTO["OTRO"].pattern, "must be 1 to 20 characters")
# Text to look Clientes up by; empty after trimming, it looks for nothing in particular.
SEARCH_TEXT: Final = Rule(
    _trimmed(_text(100), optional=True),
    "must be at most 100 characters after trimming, none of them control",
)

RULES: Final[Mapping[str, Rule]] = {
    "codigo_cliente": CODIGO_CLIENTE,
    "nombre": NOMBRE,
    "tipo_cliente": TIPO_CLIENTE,
    "tipo_documento": TIPO_DOCUMENTO,
    "numero_documento": ANY_NUMERO_DOCUMENTO,
    "direccion": DIRECCION,
    "telefono": TELEFONO,
    "email": EMAIL,
    "contacto_representante": CONTACTO_REPRESENTANTE,
}

REQUIRED: Final = frozenset(
    {"codigo_cliente", "nombre", "tipo_cliente", "tipo_documento", "numero_documento"}
)


def describe_rule(name: str) -> str:
    """The rule of a field in words, for documentation."""
    if name == "numero_documento":
        rule = "; ".join(r.message for r in NUMERO_DOCUMENTO.values())
    else:
        rule = RULES[name].message
    necessity = "Required" if name in REQUIRED else "Optional (empty or null: none)"
    trimming = (
        "" if name in ("tipo_cliente", "tipo_documento") else " Spaces around it are trimmed."
    )
    return f"{necessity}; {rule}.{trimming}"


def _documented(name: str, max_length: int | None = None) -> Meta:
    """A field's rule as the schemas that carry it show it: its pattern, and in words."""
    pattern = None if name in ("tipo_cliente", "tipo_documento") else RULES[name].pattern
    return Meta(pattern=pattern, max_length=max_length, description=describe_rule(name))


class ClienteDatos(msgspec.Struct, frozen=True, kw_only=True):
    """The validated, normalised fields of a Cliente: the one place they are declared.

    The read table's row and the API's bodies are built from these fields, by name.
    """

    codigo_cliente: Annotated[str, _documented("codigo_cliente")]
    nombre: Annotated[str, _documented("nombre")]
    tipo_cliente: Annotated[TipoCliente, _documented("tipo_cliente")]
    tipo_documento: Annotated[TipoDocumento, _documented("tipo_documento")]
    numero_documento: Annotated[str, _documented("numero_documento")]
    direccion: Annotated[str, _documented("direccion")] | None = None
    telefono: Annotated[str, _documented("telefono")] | None = None
    email: Annotated[str, _documented("email", max_length=254)] | None = None
    contacto_representante: Annotated[str, _documented("contacto_representante")] | None = None


FIELDS: Final = ClienteDatos.__struct_fields__


def normalise(name: str, value: str | None) -> str | None:
    """Trims a value; an optional field left empty becomes None."""
    if value is None:
        return None
    value = value.strip(SPACE)
    if not value and name not in REQUIRED:
        return None
    return value


def field_errors(
    values: Mapping[str, str | None], require: Collection[str] = ()
) -> list[FieldError]:
    """What is wrong with each of ``values``, and which of ``require`` is missing.

    numeroDocumento is checked against the tipoDocumento among ``values`` when
    that one is valid, against what any tipoDocumento admits when it is absent,
    and not at all when it is invalid (tipoDocumento carries the error).
    """
    errors = [FieldError(name, "is not a field") for name in values if name not in RULES]
    for name in FIELDS:
        if name not in values:
            if name in require:
                errors.append(FieldError(name, "is required"))
            continue
        value = values[name]
        if value is None:
            if name in REQUIRED:
                errors.append(FieldError(name, "is required"))
            continue
        rule = _numero_rule(values) if name == "numero_documento" else RULES[name]
        if rule is not None and not rule.allows(value):
            errors.append(FieldError(name, rule.message))
    return sorted(errors, key=_field_order)


def validate(values: Mapping[str, str | None]) -> ClienteDatos:
    """Checks every field of a would-be Cliente and returns it normalised.

    Raises ValidationFailed naming every offending field.
    """
    errors = field_errors(values, require=REQUIRED)
    if errors:
        raise ValidationFailed(errors)
    return msgspec.convert(
        {name: normalise(name, values.get(name)) for name in FIELDS}, ClienteDatos
    )


def _numero_rule(values: Mapping[str, str | None]) -> Rule | None:
    if "tipo_documento" not in values:
        return ANY_NUMERO_DOCUMENTO
    return NUMERO_DOCUMENTO.get(values["tipo_documento"] or "")


def _field_order(error: FieldError) -> tuple[int, str]:
    known = error.field in RULES
    return (FIELDS.index(error.field) if known else len(FIELDS), error.field)
