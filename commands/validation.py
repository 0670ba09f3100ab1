"""The rules a Cliente's fields obey, declared once.

Each rule is a regular expression over the value without the spaces around it,
and a longest length. Trimming is spelled out: a value may carry spaces, tabs
and line breaks around it, never inside it, and the rule applies to what is
left. A value is trimmed first and refused on its length before any pattern
runs, and no pattern has an unbounded run: a value of any size is read in time
linear in its size. The same rule, with the trimmable spaces around it, is the
pattern the OpenAPI document shows. An optional field left empty becomes null.
Every offending field is reported, not only the first.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
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
# domain of dot-separated labels ending in an alphabetic top-level domain. Every
# run is bounded (by the address's 254 characters); dots separate the runs.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,252}"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = rf"{_ATOM}(?:\.{_ATOM}){{0,126}}@(?:{_LABEL}\.){{1,126}}[A-Za-z]{{2,63}}"
EMAIL_LENGTH: Final = 254


def _text(most: int) -> str:
    """1 to ``most`` printable characters that start and end with a visible one."""
    return f"{_VISIBLE}(?:{_PRINTABLE}{{0,{most - 2}}}{_VISIBLE})?"


@dataclass(frozen=True)
class Rule:
    """A value's rule: ``inner`` matches the value trimmed (unless ``trims`` is off),
    which holds at most ``longest`` characters; ``optional`` admits nothing at all."""

    inner: str
    message: str
    longest: int
    optional: bool = False
    trims: bool = True
    most: int | None = None  # characters as sent, spaces included, where the schema counts them
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", re.compile(self.inner))

    @property
    def pattern(self) -> str:
        """The rule over the value as sent, as the OpenAPI document shows it. No two
        runs of spaces meet: the inner rule starts and ends with no space."""
        if not self.trims:
            return f"^(?:{self.inner})$"
        if self.optional:
            return f"^{_AROUND}(?:(?:{self.inner}){_AROUND})?$"
        return f"^{_AROUND}(?:{self.inner}){_AROUND}$"

    def allows(self, value: str) -> bool:
        if self.most is not None and len(value) > self.most:
            return False
        inner = value.strip(SPACE) if self.trims else value
        if not inner:
            return self.optional
        if len(inner) > self.longest:
            return False  # refused before any pattern runs
        # fullmatch: a "$" would otherwise let a value end in a line break.
        return self._compiled.fullmatch(inner) is not None


def _one_of(values: Collection[str]) -> Rule:
    """One of ``values``, spelled exactly."""
    return Rule(
        "|".join(values),
        "must be one of " + ", ".join(values),
        longest=max(map(len, values)),
        trims=False,
    )


def _texts(most: int, message: str, *, optional: bool = False) -> Rule:
    return Rule(_text(most), message, longest=most, optional=optional)


CODIGO_CLIENTE: Final = Rule(
    r"[A-Za-z0-9._-]{1,50}", "must be 1 to 50 characters from A-Z a-z 0-9 . _ -", longest=50
)
NOMBRE: Final = _texts(150, "must be 1 to 150 characters, none of them control")
TIPO_CLIENTE: Final = _one_of(TIPOS_CLIENTE)
TIPO_DOCUMENTO: Final = _one_of(TIPOS_DOCUMENTO)
DIRECCION: Final = _texts(
    200, "must be at most 200 characters, none of them control", optional=True
)
TELEFONO: Final = Rule(
    r"[0-9+()-][0-9 +()-]{4,18}[0-9+()-]",
    "must be 6 to 20 characters from digits, space, + - ( )",
    longest=20,
    optional=True,
)
EMAIL: Final = Rule(
    _EMAIL,
    f"must be a valid e-mail address of at most {EMAIL_LENGTH} characters",
    longest=EMAIL_LENGTH,
    optional=True,
    most=EMAIL_LENGTH,
)
CONTACTO_REPRESENTANTE: Final = _texts(
    150, "must be at most 150 characters, none of them control", optional=True
)

# numeroDocumento follows tipoDocumento; OTRO's rule admits every other one's numbers.
NUMERO_DOCUMENTO: Final[Mapping[str, Rule]] = {
    "RUC": Rule(r"[0-9]{11}", "must be exactly 11 digits for RUC", longest=11),
    "DNI": Rule(r"[0-9]{8}", "must be exactly 8 digits for DNI", longest=8),
    "CE": Rule(r"[A-Za-z0-9]{9,12}", "must be 9 to 12 letters or digits for CE", longest=12),
    "OTRO": _texts(20, "must be 1 to 20 characters for OTRO"),
}
ANY_NUMERO_DOCUMENTO: Final = _texts(20, "must be 1 to 20 characters")
# Text to look Clientes up by; empty after trimming, it looks for nothing in particular.
SEARCH_TEXT: Final = _texts(
    100, "must be at most 100 characters after trimming, none of them control", optional=True
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
    """The rule of a field in words, for documentation; each body says apart whether
    the field must be sent (api/http/openapi.py)."""
    if name == "numero_documento":
        rule = "; ".join(r.message for r in NUMERO_DOCUMENTO.values())
    else:
        rule = RULES[name].message
    trimming = (
        "" if name in ("tipo_cliente", "tipo_documento") else " Spaces around it are trimmed."
    )
    return f"{rule}.{trimming}"


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
# A Cliente's personal data (Ley 29733, GDPR): its name and document number, its
# address, phone, e-mail and representative, sealed at rest (commands/sealing.py).
# The code and the types are not personal, nor are ids, versions, times and actors.
PERSONAL_FIELDS: Final = (
    "nombre",
    "numero_documento",
    "direccion",
    "telefono",
    "email",
    "contacto_representante",
)
# Why a Cliente's personal data was erased: kept in its history, so it holds none.
REASON: Final = _texts(500, "must be 1 to 500 characters, none of them control")


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


def validate_reason(reason: str) -> str:
    """An erasure's reason, trimmed; raises ValidationFailed naming it."""
    if not REASON.allows(reason):
        raise ValidationFailed([FieldError("reason", REASON.message)])
    return reason.strip(SPACE)
