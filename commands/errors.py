"""The ways a command can be refused."""

from dataclasses import dataclass


class ClientesError(Exception):
    """Base of the domain's refusals."""


class ClienteNotFound(ClientesError):
    """No vigente Cliente has that id (it never existed, or it was deactivated)."""

    def __init__(self, cliente_id: int | str) -> None:
        super().__init__(f"No Cliente has the id {cliente_id}")
        self.cliente_id = cliente_id


class AlreadyErased(ClientesError):
    """The Cliente's personal data was erased already."""

    def __init__(self, cliente_id: int) -> None:
        super().__init__(f"Cliente {cliente_id}'s personal data was erased already")


class NotSealedYet(ClientesError):
    """The Cliente's events were stored before personal data was sealed at rest: they
    cannot be erased until `clientes encrypt-history` has sealed them."""

    def __init__(self, cliente_id: int) -> None:
        super().__init__(
            f"Cliente {cliente_id}'s events were stored before personal data was encrypted "
            "at rest: an operator must run `clientes encrypt-history` before it can be erased"
        )


class ClienteGone(ClientesError):
    """The Cliente's personal data was erased: none of its states can be shown."""

    def __init__(self, cliente_id: int) -> None:
        super().__init__(
            f"Cliente {cliente_id}'s personal data was erased: its past states are gone"
        )


class VersionNotFound(ClientesError):
    """The Cliente never reached the requested version."""

    def __init__(self, cliente_id: int, version: int) -> None:
        super().__init__(f"Cliente {cliente_id} has no version {version}")


class CodigoTaken(ClientesError):
    """Another Cliente, vigente or not, already holds the code."""

    def __init__(self, codigo_cliente: str, holder: int, *, vigente: bool) -> None:
        why = "" if vigente else ", which is deactivated: a code stays taken after deactivation"
        super().__init__(
            f"codigoCliente {codigo_cliente!r} is already taken by Cliente {holder}{why}"
        )
        self.codigo_cliente = codigo_cliente
        self.holder = holder


class VersionMismatch(ClientesError):
    """The Cliente is not at the version the caller expected."""

    def __init__(self, actual: int) -> None:
        super().__init__(f"The Cliente has changed: it is at version {actual}")
        self.actual = actual


@dataclass(frozen=True)
class FieldError:
    """One offending field and what is wrong with it."""

    field: str
    message: str


class ValidationFailed(ClientesError):
    """The fields break one or more rules; every offending field is listed."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field} {e.message}" for e in errors))
        self.errors = errors
