"""The JSON shapes of the HTTP contract, as msgspec Structs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from commands import Cliente as ClienteAggregate
from commands import ClienteEvent
from commands.validation import ClienteDatos
from projections.envelopes import EventType, event_data
from projections.rows import ClienteRow

MAX_BODY = 64 * 1024  # bytes a request body may have


class Schema(msgspec.Struct, forbid_unknown_fields=True, rename="camel", kw_only=True):
    """Base of every body: camelCase names, unknown fields refused."""


def _built(name: str, doc: str, members: list[Any], **methods: Any) -> Any:
    return msgspec.defstruct(
        name, members, bases=(Schema,), module=__name__, namespace={"__doc__": doc, **methods}
    )


# The three Cliente shapes are built from ClienteDatos's fields, by name: a field
# added there appears in each, with its rule. For the type checker they are
# declared by what the handlers use of them.
if TYPE_CHECKING:

    class Cliente(Schema):
        id: int
        version: int

        @classmethod
        def from_row(cls, row: ClienteRow) -> Cliente: ...

        @classmethod
        def from_aggregate(cls, cliente: ClienteAggregate) -> Cliente: ...

    class ClienteCreate(Schema):
        def fields(self) -> dict[str, str | None]: ...

    class ClienteUpdate(Schema):
        def changes(self) -> dict[str, str | None]: ...

else:
    DATOS = msgspec.structs.fields(ClienteDatos)

    def _from_row(cls, row):
        return cls(**msgspec.structs.asdict(row), vigente=True)

    def _from_aggregate(cls, cliente):
        return cls(
            id=cliente.cliente_id,
            **msgspec.structs.asdict(cliente.datos),
            vigente=cliente.vigente,
            version=cliente.version,
            fecha_creacion=cliente.created_on,
            fecha_modificacion=cliente.modified_on,
        )

    def _fields(self):
        return msgspec.structs.asdict(self)

    def _changes(self):
        fields = msgspec.structs.asdict(self).items()
        return {name: value for name, value in fields if value is not UNSET}

    Cliente = _built(
        "Cliente",
        "A Cliente: its fields, whether it is vigente, its version, when made and last changed.",
        [
            ("id", int),
            *((field.name, field.type) for field in DATOS),
            ("vigente", bool),
            ("version", int),
            ("fecha_creacion", datetime),
            ("fecha_modificacion", datetime),
        ],
        from_row=classmethod(_from_row),
        from_aggregate=classmethod(_from_aggregate),
    )
    ClienteCreate = _built(
        "ClienteCreate",
        "A new Cliente. numeroDocumento must also follow the rule of its tipoDocumento.",
        [
            (field.name, field.type) if field.required else (field.name, field.type, None)
            for field in DATOS
        ],
        fields=_fields,
    )
    ClienteUpdate = _built(
        "ClienteUpdate",
        "A partial update: absent fields stay, null clears an optional field. "
        "The merged result must pass the same rules as a new Cliente.",
        [(field.name, field.type | UnsetType, UNSET) for field in DATOS],
        changes=_changes,
    )


class HistoryEntry(Schema):
    """One event of a Cliente's audit trail; ``data`` holds, for an update, only
    the changed fields with their new values, and for an erasure its reason. Every
    entry of a Cliente whose personal data was erased shows the personal fields it
    held as null, and has ``erased: true``."""

    type: EventType
    version: int
    timestamp: datetime
    actor: str
    data: dict[str, str | None]
    erased: bool | UnsetType = UNSET

    @classmethod
    def from_event(cls, event: ClienteEvent) -> HistoryEntry:
        return cls(
            type=type(event).__name__,
            version=event.originator_version,
            timestamp=event.timestamp,
            actor=event.actor,
            data=event_data(event),
            erased=True if event.erased else UNSET,
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
