"""Cliente events as the outside world reads them: audit entries and subscriber envelopes.

One shape for the history endpoint, the events feed and the Redis stream:
the event's type, the Cliente's version after it, when, who, and its data in
the API's field names (for ClienteUpdated only the changed fields; for
ClienteErased its reason). An event of a Cliente whose personal data was erased
shows each personal field it held as None, and says ``erased``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from commands import CLIENTE_EVENTS, ClienteCreated, ClienteErased, ClienteEvent, ClienteUpdated
from commands.validation import FIELDS


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


API_NAMES = {name: camel(name) for name in FIELDS}
EVENT_TYPES = tuple(cls.__name__ for cls in CLIENTE_EVENTS)
if TYPE_CHECKING:
    EventType = str
else:  # the names of the Cliente event classes, as the OpenAPI document lists them
    EventType = Literal[EVENT_TYPES]


class Envelope(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    """A stored Cliente event at its global position in the store."""

    position: int
    type: EventType
    cliente_id: int
    version: int
    timestamp: datetime
    actor: str
    data: dict[str, str | None]
    erased: bool | UnsetType = UNSET  # true for every event of an erased Cliente


def is_cliente_event(domain_event: Any) -> bool:
    return isinstance(domain_event, CLIENTE_EVENTS)


def event_data(domain_event: ClienteEvent) -> dict[str, str | None]:
    if isinstance(domain_event, ClienteCreated):
        return {API_NAMES[name]: getattr(domain_event, name) for name in FIELDS}
    if isinstance(domain_event, ClienteUpdated):
        return {API_NAMES[name]: value for name, value in domain_event.changes.items()}
    if isinstance(domain_event, ClienteErased):
        return {"reason": domain_event.reason}
    return {}


def envelope(domain_event: ClienteEvent, position: int) -> Envelope:
    return Envelope(
        position=position,
        type=type(domain_event).__name__,
        cliente_id=domain_event.cliente_id,
        version=domain_event.originator_version,
        timestamp=domain_event.timestamp,
        actor=domain_event.actor,
        data=event_data(domain_event),
        erased=True if domain_event.erased else UNSET,
    )
