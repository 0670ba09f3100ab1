"""Where the events and the read table live: one package per kind of store.

The kind is chosen here, from the scheme of CLIENTES_DATABASE_URL, and nowhere
else. A third kind of store is one folder beside postgres/ and sqlite/ whose
Store (stores/store.py) provides all a kind must, and one line in KINDS.
"""

from __future__ import annotations

from stores.postgres import PostgresStore
from stores.sqlite import SQLiteStore
from stores.store import Store, StoreSettingsError, StoreUnusable

KINDS: dict[str, type[Store]] = {
    "sqlite": SQLiteStore,
    "postgresql": PostgresStore,
    "postgres": PostgresStore,
}

__all__ = ["KINDS", "Store", "StoreSettingsError", "StoreUnusable", "store_from_url"]


def store_from_url(url: str, schema: str = "public", password: str | None = None) -> Store:
    """The kind of store ``url`` names; ``password``, when given, overrides the URL's."""
    try:
        kind = KINDS[url.partition(":")[0]]  # the scheme, read before any parsing of the rest
    except KeyError:
        raise StoreSettingsError(
            "CLIENTES_DATABASE_URL must be sqlite:///PATH or postgresql://user:pass@host:port/db"
        ) from None
    return kind.from_url(url, schema, password)
