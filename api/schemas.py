"""The JSON shapes of the HTTP contract, as msgspec Structs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from commands import Cliente as ClienteAggregate
from commands.validation import TIPOS_CLIENTE, TIPOS_DOCUMENTO
from projections.rows import ClienteRow

TipoCliente = Annotated[str, Meta(extra_json_schema={"enum": list(TIPOS_CLIENTE)})]
TipoDocumento = Annotated[str, Meta(extra_json_schema={"enum": list(TIPOS_DOCUMENTO)})]


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
    so none is enforced here; see the validation rules for the required ones."""

    codigo_cliente: str | None = None
    nombre: str | None = None
    tipo_cliente: TipoCliente | None = None
    tipo_documento: TipoDocumento | None = None
    numero_documento: str | None = None
    direccion: str | None = None
    telefono: str | None = None
    email: str | None = None
    contacto_representante: str | None = None

    def fields(self) -> dict[str, str | None]:
        return msgspec.structs.asdict(self)


class ClienteUpdate(Schema):
    """A partial update: absent fields stay, null clears an optional field."""

    codigo_cliente: str | UnsetType | None = UNSET
    nombre: str | UnsetType | None = UNSET
    tipo_cliente: TipoCliente | UnsetType | None = UNSET
    tipo_documento: TipoDocumento | UnsetType | None = UNSET
    numero_documento: str | UnsetType | None = UNSET
    direccion: str | UnsetType | None = UNSET
    telefono: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    contacto_representante: str | UnsetType | None = UNSET

    def changes(self) -> dict[str, str | None]:
        return {
            name: value
            for name, value in msgspec.structs.asdict(self).items()
            if value is not UNSET
        }


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
