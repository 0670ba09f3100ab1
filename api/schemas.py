"""The JSON shapes of the HTTP contract, as msgspec Structs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from commands import Cliente as ClienteAggregate
from commands import ClienteEvent
from commands.validation import TIPOS_CLIENTE, TIPOS_DOCUMENTO, describe_rule
from projections.envelopes import event_data
from projections.rows import ClienteRow

ENUMS = {"tipo_cliente": list(TIPOS_CLIENTE), "tipo_documento": list(TIPOS_DOCUMENTO)}


def rule(name: str) -> Meta:
    """Documents a field's rule; commands.validation checks it (after trimming)."""
    extra = {"enum": ENUMS[name]} if name in ENUMS else {}
    return Meta(extra_json_schema={"description": describe_rule(name), "extra": extra})


TipoCliente = Annotated[str, Meta(extra_json_schema={"extra": {"enum": list(TIPOS_CLIENTE)}})]
TipoDocumento = Annotated[str, Meta(extra_json_schema={"extra": {"enum": list(TIPOS_DOCUMENTO)}})]


class Schema(msgspec.Struct, forbid_unknown_fields=True, rename="camel", kw_only=True):
    """Base of every body: camelCase names, unknown fields refused."""


class Cliente(Schema):
    id: int
    codigo_cliente: str
    nombre: str
    tipo_cliente: TipoCliente
    tipo_documento: TipoDocumento
    numero_documento: str
    direccion: str | None
    telefono: str | None
    email: str | None
    contacto_representante: str | None
    vigente: bool
    version: int
    fecha_creacion: datetime
    fecha_modificacion: datetime

    @classmethod
    def from_row(cls, row: ClienteRow) -> Cliente:
        return cls(**msgspec.structs.asdict(row), vigente=True)

    @classmethod
    def from_aggregate(cls, cliente: ClienteAggregate) -> Cliente:
        return cls(
            id=cliente.cliente_id,
            **msgspec.structs.asdict(cliente.datos),
            vigente=cliente.vigente,
            version=cliente.version,
            fecha_creacion=cliente.created_on,
            fecha_modificacion=cliente.modified_on,
        )


class ClienteCreate(Schema):
    """A new Cliente. Every field is checked and every offending one named,
    so none is enforced while decoding; the descriptions give the rules."""

    codigo_cliente: Annotated[str | None, rule("codigo_cliente")] = None
    nombre: Annotated[str | None, rule("nombre")] = None
    tipo_cliente: Annotated[str | None, rule("tipo_cliente")] = None
    tipo_documento: Annotated[str | None, rule("tipo_documento")] = None
    numero_documento: Annotated[str | None, rule("numero_documento")] = None
    direccion: Annotated[str | None, rule("direccion")] = None
    telefono: Annotated[str | None, rule("telefono")] = None
    email: Annotated[str | None, rule("email")] = None
    contacto_representante: Annotated[str | None, rule("contacto_representante")] = None

    def fields(self) -> dict[str, str | None]:
        return msgspec.structs.asdict(self)


class ClienteUpdate(Schema):
    """A partial update: absent fields stay, null clears an optional field.
    The merged result must pass the same rules as a new Cliente."""

    codigo_cliente: Annotated[str | None, rule("codigo_cliente")] | UnsetType = UNSET
    nombre: Annotated[str | None, rule("nombre")] | UnsetType = UNSET
    tipo_cliente: Annotated[str | None, rule("tipo_cliente")] | UnsetType = UNSET
    tipo_documento: Annotated[str | None, rule("tipo_documento")] | UnsetType = UNSET
    numero_documento: Annotated[str | None, rule("numero_documento")] | UnsetType = UNSET
    direccion: Annotated[str | None, rule("direccion")] | UnsetType = UNSET
    telefono: Annotated[str | None, rule("telefono")] | UnsetType = UNSET
    email: Annotated[str | None, rule("email")] | UnsetType = UNSET
    contacto_representante: Annotated[str | None, rule("contacto_representante")] | UnsetType = (
        UNSET
    )

    def changes(self) -> dict[str, str | None]:
        return {
            name: value
            for name, value in msgspec.structs.asdict(self).items()
            if value is not UNSET
        }


class HistoryEntry(Schema):
    """One event of a Cliente's audit trail; ``data`` holds, for an update, only
    the changed fields with their new values."""

    type: str
    version: int
    timestamp: datetime
    actor: str
    data: dict[str, str | None]

    @classmethod
    def from_event(cls, event: ClienteEvent) -> HistoryEntry:
        return cls(
            type=type(event).__name__,
            version=event.originator_version,
            timestamp=event.timestamp,
            actor=event.actor,
            data=event_data(event),
        )


class ClienteHistory(Schema):
    cliente_id: int
    events: list[HistoryEntry]


class ClientePage(Schema):
    content: list[Cliente]
    total_elements: int
    total_pages: int
    number: int
    size: int


class FieldProblem(Schema):
    field: str
    message: str


class Problem(Schema):
    """RFC 9457 problem details."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    errors: list[FieldProblem] | UnsetType = UNSET
