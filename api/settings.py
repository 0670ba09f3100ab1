"""The service's settings: the configuration (api/config.py) made into what the parts use."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from api.config import Config, ConfigError
from api.signing_secret import MIN_SECRET_BYTES, SecretError, jwt_secret
from api.stores import Store
from api.stores.postgres import PostgresStore
from api.stores.sqlite import SQLiteStore

DEFAULT = Config()  # the defaults, declared once, with each variable

SettingsError = ConfigError  # the configuration cannot work; one line per problem


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
    jwt_previous_secret: str | None = field(default=None, repr=False)  # verifies, never signs
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    redis_url: str | None = None
    # The rest as api/config.py declares and explains them, with its defaults.
    jwt_leeway: float = DEFAULT.jwt_leeway
    streams_per_sub: int = DEFAULT.streams_per_sub
    max_streams: int = DEFAULT.max_streams
    keys_per_sub: int = DEFAULT.keys_per_sub
    max_header_line: int = DEFAULT.max_header_line
    redis_stream: str = DEFAULT.redis_stream
    redis_maxlen: int = DEFAULT.redis_maxlen
    events_heartbeat: float = DEFAULT.events_heartbeat
    host: str = DEFAULT.host
    port: int = DEFAULT.port
    projector: bool = DEFAULT.projector
    write_timeout: float = DEFAULT.write_timeout
    metrics: bool = DEFAULT.metrics
    access_log: bool = DEFAULT.access_log
    cors_origins: tuple[str, ...] = DEFAULT.cors_origins
    ready_max_lag_events: int = DEFAULT.ready_max_lag_events
    ready_max_lag_seconds: float = DEFAULT.ready_max_lag_seconds
    ready_max_publisher_lag: int = DEFAULT.ready_max_publisher_lag
    shutdown_timeout: float = DEFAULT.shutdown_timeout

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] = os.environ,
        *,
        with_secret: bool = True,
        make_secret: bool = True,
    ) -> Settings:
        """Reads and checks the settings; ``with_secret=False`` for processes that serve no API.

        Every problem is reported at once (ConfigError). On the embedded store
        with no CLIENTES_JWT_SECRET, the server makes the secret in the data
        directory; ``make_secret=False`` only reads it.
        """
        config, problems = Config.read(environ)
        store: Store | None = None
        try:
            store = store_from_url(
                config.database_url, config.database_schema, config.database_password
            )
        except ConfigError as error:
            problems += error.problems
        secret, secret_file = "", None
        # A secret to be made is made only for a configuration that can start.
        if with_secret and store is not None and (not problems or not store.data_directory):
            try:
                secret, secret_file = jwt_secret(store, config.jwt_secret, make=make_secret)
            except SecretError as error:
                problems.append(str(error))
        previous = config.jwt_previous_secret
        if previous is not None and len(previous.encode()) < MIN_SECRET_BYTES:
            problems.append(
                f"CLIENTES_JWT_PREVIOUS_SECRET must be at least {MIN_SECRET_BYTES} bytes"
            )
        if problems or store is None:
            raise ConfigError(problems)
        # The rest is the configuration's own, field by field of the same name.
        same = {f.name for f in dataclasses.fields(cls)} & set(Config.__struct_fields__)
        taken = {name: getattr(config, name) for name in same - {"jwt_secret"}}
        return cls(store=store, jwt_secret=secret, jwt_secret_file=secret_file, **taken)
