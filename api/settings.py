"""The service's settings, read once from CLIENTES_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from api.signing_secret import SecretError, jwt_secret
from api.stores import Store
from api.stores.postgres import PostgresStore
from api.stores.sqlite import SQLiteStore

DEFAULT_DATABASE_URL = "sqlite:///var/clientes.sqlite3"
DEFAULT_REDIS_STREAM = "clientes:events"
DEFAULT_REDIS_MAXLEN = 1_000_000
ON_WORDS = ("on", "true", "yes", "1")
OFF_WORDS = ("off", "false", "no", "0")

N = TypeVar("N", int, float)


class SettingsError(Exception):
    """The configuration cannot work; the message says what to change."""


def store_from_url(url: str, schema: str = "public", password: str | None = None) -> Store:
    """The kind of store ``url`` names; ``password``, when given, overrides the URL's."""
    if url.startswith("sqlite:///"):
        return SQLiteStore(url, Path(url.removeprefix("sqlite:///")))
    params = _postgres_params(url)
    if password is not None:
        params["password"] = password
    return PostgresStore(url, params, schema)


def _postgres_params(url: str) -> dict[str, str]:
    """libpq's connection parameters from a postgresql:// URL, percent-decoded.

    A password with a raw ``/``, ``?`` or ``#`` ends the URL's user part early:
    the rest is read as a port, a path or a fragment. Such a URL is refused,
    never echoed (it holds the password).
    """
    unreadable = SettingsError(
        "CLIENTES_DATABASE_URL cannot be read as postgresql://user:pass@host:port/db: "
        "percent-encode the password (/ as %2F, # as %23, ? as %3F, @ as %40, % as %25) "
        "or leave it out of the URL and set CLIENTES_DATABASE_PASSWORD"
    )
    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError:
        raise unreadable from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise SettingsError(
            "CLIENTES_DATABASE_URL must be sqlite:///PATH or postgresql://user:pass@host:port/db"
        )
    if parts.fragment or ("@" in url and "@" not in parts.netloc):
        raise unreadable
    if not parts.path.strip("/"):
        raise SettingsError("CLIENTES_DATABASE_URL must name the database: postgresql://.../db")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": str(port),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "dbname": unquote(parts.path.strip("/")),
    }


@dataclass(frozen=True)
class Settings:
    store: Store
    jwt_secret: str = field(repr=False)
    jwt_secret_file: Path | None = None  # where the generated secret was read, if it was
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    redis_url: str | None = None
    redis_stream: str = DEFAULT_REDIS_STREAM  # the stream the publisher writes
    redis_maxlen: int = DEFAULT_REDIS_MAXLEN  # entries the stream keeps, approximately
    events_heartbeat: float = 15.0  # seconds between keep-alive comments on an idle event stream
    host: str = "127.0.0.1"
    port: int = 8000
    projector: bool = True  # run the projector in the API process
    write_timeout: float = 5.0  # how long a write waits for the read side

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] = os.environ,
        *,
        with_secret: bool = True,
        make_secret: bool = True,
    ) -> Settings:
        """Reads and checks the settings; ``with_secret=False`` for processes that serve no API.

        On the embedded store with no CLIENTES_JWT_SECRET, the server makes the
        secret in the data directory; ``make_secret=False`` only reads it.
        """
        store = store_from_url(
            environ.get("CLIENTES_DATABASE_URL") or DEFAULT_DATABASE_URL,
            environ.get("CLIENTES_DATABASE_SCHEMA") or "public",
            environ.get("CLIENTES_DATABASE_PASSWORD") or None,
        )
        try:
            secret, secret_file = (
                jwt_secret(store, environ.get("CLIENTES_JWT_SECRET"), make=make_secret)
                if with_secret
                else ("", None)
            )
        except SecretError as error:
            raise SettingsError(str(error)) from None
        return cls(
            store=store,
            jwt_secret=secret,
            jwt_secret_file=secret_file,
            jwt_issuer=environ.get("CLIENTES_JWT_ISSUER") or None,
            jwt_audience=environ.get("CLIENTES_JWT_AUDIENCE") or None,
            redis_url=_redis_url(environ.get("CLIENTES_REDIS_URL") or None),
            redis_stream=environ.get("CLIENTES_REDIS_STREAM") or DEFAULT_REDIS_STREAM,
            redis_maxlen=_positive(environ, "CLIENTES_REDIS_MAXLEN", int, DEFAULT_REDIS_MAXLEN),
            events_heartbeat=_positive(environ, "CLIENTES_EVENTS_HEARTBEAT", float, 15.0),
            host=environ.get("CLIENTES_HOST") or "127.0.0.1",
            port=_number(environ, "CLIENTES_PORT", int, 8000),
            projector=_switch(environ, "CLIENTES_PROJECTOR", True, also_on=("in-process",)),
            write_timeout=_number(environ, "CLIENTES_WRITE_TIMEOUT", float, 5.0),
        )


def _number(environ: Mapping[str, str], key: str, kind: type[N], default: N) -> N:
    raw = environ.get(key)
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number, not {raw!r}") from None


def _positive(environ: Mapping[str, str], key: str, kind: type[N], default: N) -> N:
    value = _number(environ, key, kind, default)
    if not value > 0:
        raise SettingsError(f"{key} must be greater than 0, not {value}")
    return value


def _switch(
    environ: Mapping[str, str], key: str, default: bool, also_on: tuple[str, ...] = ()
) -> bool:
    """On or off, in any of the usual spellings, whatever the case."""
    raw = environ.get(key)
    if not raw:
        return default
    word = raw.strip().lower()
    if word in ON_WORDS + also_on:
        return True
    if word in OFF_WORDS:
        return False
    raise SettingsError(
        f"{key} must be on or off ({'/'.join(ON_WORDS + also_on)} or {'/'.join(OFF_WORDS)}, "
        f"in any case), not {raw!r}"
    )


def _redis_url(url: str | None) -> str | None:
    if url is not None and urlsplit(url).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(
            "CLIENTES_REDIS_URL must be redis://host:port/db (or rediss://, unix://)"
        )
    return url
