"""Write side: the Cliente aggregate, its events, validation and command handlers."""

from commands.application import Clientes, TooMuchContention, Written
from commands.cliente import (
    Cliente,
    ClienteCreated,
    ClienteDeactivated,
    ClienteEvent,
    ClienteUpdated,
    cliente_aggregate_id,
)
from commands.committer import Steps
from commands.errors import (
    ClienteNotFound,
    ClientesError,
    CodigoTaken,
    FieldError,
    ValidationFailed,
    VersionMismatch,
    VersionNotFound,
)
from commands.idempotency import AlreadyAnswered, Answer, KeyReused, KeyUse
from commands.validation import ClienteDatos, validate

__all__ = [
    "AlreadyAnswered",
    "Answer",
    "Cliente",
    "ClienteCreated",
    "ClienteDatos",
    "ClienteDeactivated",
    "ClienteEvent",
    "ClienteNotFound",
    "ClienteUpdated",
    "Clientes",
    "ClientesError",
    "CodigoTaken",
    "FieldError",
    "KeyReused",
    "KeyUse",
    "Steps",
    "TooMuchContention",
    "ValidationFailed",
    "VersionMismatch",
    "VersionNotFound",
    "Written",
    "cliente_aggregate_id",
    "validate",
]
