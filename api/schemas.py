"""The JSON shapes of the HTTP contract, as msgspec Structs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from commands import Cliente as ClienteAggregate
from commands import ClienteEvent
from commands.validation import (
    CodigoCliente,
    ContactoRepresentante,
    Direccion,
    Email,
    Nombre,
    NumeroDocumento,
    Telefono,
    TipoCliente,
    TipoDocumento,
    describe_rule,
)
from projections.envelopes import event_data
from projections.rows import ClienteRow

MAX_BODY = 64 * 1024  # bytes a request body may have


def rule(name: str) -> Meta:
    """Documents a field's rule in words; its pattern comes with its type."""
    return Meta(description=describe_rule(name))


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
    """A new Cliente. numeroDocumento must also follow the rule of its tipoDocumento."""

    codigo_cliente: Annotated[CodigoCliente, rule("codigo_cliente")]
    nombre: Annotated[Nombre, rule("nombre")]
    tipo_cliente: Annotated[TipoCliente, rule("tipo_cliente")]
    tipo_documento: Annotated[TipoDocumento, rule("tipo_documento")]
    numero_documento: Annotated[NumeroDocumento, rule("numero_documento")]
    direccion: Annotated[Direccion, rule("direccion")] | None = None
    telefono: Annotated[Telefono, rule("telefono")] | None = None
    email: Annotated[Email, rule("email")] | None = None
    contacto_representante: (
        Annotated[ContactoRepresentante, rule("contacto_representante")] | None
    ) = None

    def fields(self) -> dict[str, str | None]:
        return msgspec.structs.asdict(self)


class ClienteUpdate(Schema):
    """A partial update: absent fields stay, null clears an optional field.
    The merged result must pass the same rules as a new Cliente."""

    codigo_cliente: Annotated[CodigoCliente, rule("codigo_cliente")] | UnsetType = UNSET
    nombre: Annotated[Nombre, rule("nombre")] | UnsetType = UNSET
    tipo_cliente: Annotated[TipoCliente, rule("tipo_cliente")] | UnsetType = UNSET
    tipo_documento: Annotated[TipoDocumento, rule("tipo_documento")] | UnsetType = UNSET
    numero_documento: Annotated[NumeroDocumento, rule("numero_documento")] | UnsetType = UNSET
    direccion: Annotated[Direccion, rule("direccion")] | UnsetType | None = UNSET
    telefono: Annotated[Telefono, rule("telefono")] | UnsetType | None = UNSET
    email: Annotated[Email, rule("email")] | UnsetType | None = UNSET
    contacto_representante: (
        Annotated[ContactoRepresentante, rule("contacto_representante")] | UnsetType | None
    ) = UNSET

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


class ReadinessCheck(Schema):
    """One thing readiness depends on; the figures say how far it has got."""

    ok: bool
    position: int | UnsetType = UNSET
    lag_events: int | UnsetType = UNSET
    lag_seconds: float | UnsetType = UNSET
    running: bool | UnsetType = UNSET
    detail: str | UnsetType = UNSET


class Readiness(Schema):
    status: Literal["ready", "not ready"]
    checks: dict[str, ReadinessCheck]
