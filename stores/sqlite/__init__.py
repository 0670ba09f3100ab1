"""The embedded store: one SQLite file in a data directory, for a bare machine."""

from stores.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore"]
