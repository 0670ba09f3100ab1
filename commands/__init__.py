"""Write side: the Cliente aggregate, its events, validation and command handlers."""

from commands.application import Clientes, TooMuchContention, Written
from commands.cliente import (
    CLIENTE_EVENTS,
    Cliente,
    ClienteCreated,
    ClienteDeactivated,
    ClienteErased,
    ClienteEvent,
    ClienteUpdated,
    cliente_aggregate_id,
)
from commands.committer import Steps
from commands.errors import (
    AlreadyErased,
    ClienteGone,
    ClienteNotFound,
    ClientesError,
    CodigoTaken,
    FieldError,
    NotSealedYet,
    ValidationFailed,
    VersionMismatch,
    VersionNotFound,
)
from commands.idempotency import AlreadyAnswered, Answer, KeyReused, KeyUse
from commands.messages import (
    Command,
    CreateCliente,
    DeactivateCliente,
    EraseCliente,
    UpdateCliente,
)
from commands.validation import ClienteDatos, validate

__all__ = [
    "CLIENTE_EVENTS",
    "AlreadyAnswered",
    "AlreadyErased",
    "Answer",
    "Cliente",
    "ClienteCreated",
    "ClienteDatos",
    "ClienteDeactivated",
    "ClienteErased",
    "ClienteEvent",
    "ClienteGone",
    "ClienteNotFound",
    "ClienteUpdated",
    "Clientes",
    "ClientesError",
    "CodigoTaken",
    "Command",
    "CreateCliente",
    "DeactivateCliente",
    "EraseCliente",
    "FieldError",
    "KeyReused",
    "KeyUse",
    "NotSealedYet",
    "Steps",
    "TooMuchContention",
    "UpdateCliente",
    "ValidationFailed",
    "VersionMismatch",
    "VersionNotFound",
    "Written",
    "cliente_aggregate_id",
    "validate",
]
