"""The service's settings: every CLIENTES_* variable, declared once, read and checked once.

``Config`` declares each variable with its type and bounds; ``Config.read``
reads each on its own, so that one bad value does not hide the next: every
problem is reported at once, one line each, naming the variable.
``Settings`` is the configuration made into what the parts use (the store it
names, the secret that signs), and ``Settings.from_env`` the one place that
reads the environment. ``Config.shown`` is what ``clientes config`` prints,
secrets masked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import msgspec
from msgspec import Meta

from api.signing_secret import MIN_SECRET_BYTES, SecretError, jwt_secret
from stores import Store, StoreSettingsError, store_from_url

PREFIX = "CLIENTES_"
DEFAULT_DATABASE_URL = "sqlite:///var/clientes.sqlite3"
ON_WORDS = ("on", "true", "yes", "1")
OFF_WORDS = ("off", "false", "no", "0")
MASK = "********"

Seconds = Annotated[float, Meta(gt=0)]
Count = Annotated[int, Meta(ge=0)]


class ConfigError(Exception):
    """The configuration cannot work; one line per problem, each naming its variable."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else problems
        super().__init__("\n".join(self.problems))


class Config(msgspec.Struct, frozen=True, kw_only=True):
    """The raw configuration: each field is the variable ``CLIENTES_<FIELD>``, else its default."""

    database_url: str = DEFAULT_DATABASE_URL  # sqlite:///PATH or postgresql://...
    database_password: str | None = None  # overrides the URL's, needing no encoding
    database_schema: Annotated[str, Meta(max_length=63)] = "public"
    jwt_secret: str | None = None  # signs and verifies; unset on SQLite: a generated one
    jwt_previous_secret: str | None = None  # still verifies, never signs: for rotation
    jwt_issuer: str | None = None  # when set, tokens must carry it as iss
    jwt_audience: str | None = None  # when set, tokens must carry it as aud
    jwt_leeway: Annotated[float, Meta(ge=0, le=300)] = 30.0  # clock skew allowed on exp/nbf/iat
    redis_url: Annotated[str, Meta(pattern=r"^(redis|rediss|unix)://")] | None = None
    redis_stream: str = "clientes:events"  # the stream the publisher writes
    redis_maxlen: Annotated[int, Meta(gt=0)] = 1_000_000  # entries it keeps, approximately
    events_heartbeat: Seconds = 15.0  # between comments on an idle event stream
    streams_per_sub: Annotated[int, Meta(ge=1)] = 10  # event streams one token sub holds at once
    max_streams: Annotated[int, Meta(ge=1)] = 1000  # event streams open at once, in all
    keys_per_sub: Annotated[int, Meta(ge=1)] = 100_000  # Idempotency-Keys kept per sub, 24 hours
    max_headers: Annotated[int, Meta(ge=10)] = 100  # more in a request: 431
    max_header_line: Annotated[int, Meta(ge=1024)] = 8192  # bytes: 431 (Authorization: 401)
    max_head: Annotated[int, Meta(ge=2048)] = 16384  # bytes of a request's head: more, 431
    head_timeout: Seconds = 10.0  # a request head not complete by then: 408, disconnected
    host: str = "127.0.0.1"
    port: Annotated[int, Meta(ge=1, le=65535)] = 8000
    projector: bool = True  # API processes run the projector (one active at a time)
    write_timeout: Annotated[float, Meta(ge=0)] = 5.0  # a write's wait for the read table
    metrics: bool = True  # serve GET /metrics
    access_log: bool = True  # one log line per request (off behind a proxy that writes its own)
    cors_origins: tuple[str, ...] = ()  # browser origins allowed; none: no CORS headers
    ready_max_lag_events: Count = 10_000  # /ready fails past it: read table behind the store
    ready_max_lag_seconds: Seconds = 30.0  # ... or its oldest unapplied event this old
    ready_max_publisher_lag: Count = 10_000  # ... or the Redis publisher this far behind
    shutdown_timeout: Seconds = 10.0  # what in-flight requests get after SIGTERM

    SECRETS: ClassVar[frozenset[str]] = frozenset(
        {"database_password", "jwt_secret", "jwt_previous_secret"}
    )
    URLS: ClassVar[frozenset[str]] = frozenset({"database_url", "redis_url"})  # may hold passwords
    # Each may come instead from the file CLIENTES_<FIELD>_FILE names (a mounted secret).
    FROM_FILES: ClassVar[frozenset[str]] = SECRETS | URLS
    ALSO_ON: ClassVar[Mapping[str, tuple[str, ...]]] = {"projector": ("in-process",)}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Config:
        """Reads every variable; raises ConfigError listing every bad one."""
        config, problems = cls.read(environ)
        if problems:
            raise ConfigError(problems)
        return config

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> tuple[Config, list[str]]:
        """The configuration, with the default for each bad variable, and the problems."""
        values: dict[str, Any] = {}
        problems: list[str] = []
        for field in msgspec.structs.fields(cls):
            variable = PREFIX + field.name.upper()
            try:
                raw = cls._raw(field.name, environ)
            except ValueError as error:
                problems.append(str(error))
                continue
            if not raw:  # empty is unset, as in compose files that pass ${VAR:-}
                continue
            try:
                values[field.name] = _read(field, raw)
            except ValueError as error:
                problems.append(f"{variable} {error}, not {cls._shown(field.name, raw)}")
        return cls(**values), problems

    @classmethod
    def _raw(cls, name: str, environ: Mapping[str, str]) -> str | None:
        """The variable's text: its value, or the content of the file its _FILE twin
        names (one trailing line end dropped). Raises ValueError when both are set, or
        the file cannot be read."""
        variable = PREFIX + name.upper()
        path = environ.get(f"{variable}_FILE") if name in cls.FROM_FILES else None
        if not path:
            return environ.get(variable)
        if environ.get(variable):
            raise ValueError(f"{variable} and {variable}_FILE are both set: set one of them")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = "it is not UTF-8 text"
            if isinstance(error, OSError):
                reason = error.strerror or type(error).__name__
            raise ValueError(
                f"{variable}_FILE names {path!r}, which cannot be read: {reason}"
            ) from None
        text = text.removesuffix("\n").removesuffix("\r")
        if not text:
            raise ValueError(f"{variable}_FILE names {path!r}, which is empty")
        return text

    @classmethod
    def _shown(cls, name: str, raw: str) -> str:
        """A value refused, as a message may quote it: secrets masked, and passwords
        in URLs."""
        if name in cls.SECRETS:
            return MASK
        return repr(masked_url(raw)) if name in cls.URLS else repr(raw)

    def shown(self) -> Iterator[tuple[str, str]]:
        """Each variable with its effective value, secrets masked."""
        for field in msgspec.structs.fields(self):
            value = getattr(self, field.name)
            if value is None:
                text = "(unset)"
            elif field.name in self.SECRETS:
                text = MASK
            elif field.name in self.URLS:
                text = masked_url(value)
            elif isinstance(value, bool):
                text = "on" if value else "off"
            elif isinstance(value, tuple):
                text = ",".join(value) or "(none)"
            else:
                text = str(value)
            yield PREFIX + field.name.upper(), text


def _read(field: msgspec.structs.FieldInfo, raw: str) -> Any:
    if field.type is bool:
        return _switch(raw, Config.ALSO_ON.get(field.name, ()))
    value: Any = raw
    if field.type == tuple[str, ...]:
        value = [item.strip() for item in raw.split(",") if item.strip()]
    try:
        return msgspec.convert(value, field.type, strict=False)
    except msgspec.ValidationError as error:
        raise ValueError(f"must be {_expected(str(error))}") from None


def _expected(message: str) -> str:
    """msgspec's "Expected `int` >= 1" as "a whole number >= 1"."""
    words = {"`int`": "a whole number", "`float`": "a number", "`str`": "text"}
    text = message.removeprefix("Expected ").split(", got")[0]
    for name, said in words.items():
        text = text.replace(name, said)
    return text


def _switch(raw: str, also_on: tuple[str, ...]) -> bool:
    word = raw.strip().lower()
    if word in ON_WORDS + also_on:
        return True
    if word in OFF_WORDS:
        return False
    raise ValueError(
        f"must be on or off ({'/'.join(ON_WORDS + also_on)} or {'/'.join(OFF_WORDS)}, in any case)"
    )


def masked_url(url: str) -> str:
    """``url`` with its password, if any, masked."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return MASK  # unreadable, so perhaps holding a password anywhere
    if "@" in url and "@" not in parts.netloc:
        return MASK  # "user:pass@" where no URL has it: perhaps a password all the same
    if password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{MASK}@{netloc}"))


class Settings(Config, frozen=True, kw_only=True):
    """The configuration, with the store it names and the secret that signs tokens
    (configured, or made in the embedded store's data directory)."""

    store: Store
    jwt_secret: str = ""
    jwt_secret_file: Path | None = None  # where the generated secret was read, if it was

    def __repr__(self) -> str:
        return f"Settings(store={self.store.url!r}, ...)"  # never a secret

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
        except StoreSettingsError as error:
            problems.append(str(error))
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
        raw = msgspec.structs.asdict(config) | {"jwt_secret": secret}
        return cls(**raw, store=store, jwt_secret_file=secret_file)
