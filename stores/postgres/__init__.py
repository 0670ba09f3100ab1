"""PostgreSQL: the production store."""

from stores.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
