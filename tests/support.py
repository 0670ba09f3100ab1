"""Valid Clientes to start from, in the API's and the domain's spelling."""

from __future__ import annotations

import itertools

_codes = itertools.count(1)


def fields(**overrides: str | None) -> dict[str, str | None]:
    """A valid Cliente in the domain's field names, with a fresh code."""
    return {
        "codigo_cliente": f"CLI-{next(_codes):05d}",
        "nombre": "Juana Quispe",
        "tipo_cliente": "PERSONA",
        "tipo_documento": "DNI",
        "numero_documento": "12345678",
        **overrides,
    }


def body(**overrides: object) -> dict[str, object]:
    """A valid Cliente as a POST body, with a fresh code."""
    return {
        "codigoCliente": f"CLI-{next(_codes):05d}",
        "nombre": "Juana Quispe",
        "tipoCliente": "PERSONA",
        "tipoDocumento": "DNI",
        "numeroDocumento": "12345678",
        **overrides,
    }
