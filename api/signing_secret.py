"""The secret that signs tokens: configured, or made in the embedded store's data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from stores import Store

MIN_SECRET_BYTES = 32
SECRET_FILE = "jwt-secret"  # noqa: S105 - a file name, not a secret


class SecretError(Exception):
    """The secret cannot be had; the message says what to change."""


def jwt_secret(
    store: Store, configured: str | None, *, make: bool = True
) -> tuple[str, Path | None]:
    """The configured secret or, on the embedded store, the one kept in its data
    directory (made there when ``make``), with the file it was read from."""
    if configured:
        if len(configured.encode()) < MIN_SECRET_BYTES:
            raise SecretError(f"CLIENTES_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        return configured, None
    if store.data_directory is None:
        raise SecretError(
            "CLIENTES_JWT_SECRET is required with a PostgreSQL store "
            f"(at least {MIN_SECRET_BYTES} bytes)"
        )
    path = (store.data_directory / SECRET_FILE).absolute()
    if make:
        make_dev_secret(path)
    return dev_secret(path), path


def make_dev_secret(path: Path) -> None:
    """Creates the generated dev secret (mode 0600) unless it exists."""
    try:
        if not path.parent.is_dir():
            path.parent.mkdir(mode=0o700, parents=True)
            path.parent.chmod(0o700)  # whatever the umask
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)
    except FileExistsError:
        return  # made before (or its directory is a file, which reading it says)
    except OSError as error:
        raise SecretError(
            f"cannot make the signing secret {path}: {error.strerror}; "
            "make its directory writable or set CLIENTES_JWT_SECRET"
        ) from None
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(48))


def dev_secret(path: Path) -> str:
    """Reads the generated dev secret; refuses one that another user owns or could read."""
    try:
        kept = path.stat()
        if kept.st_uid != os.geteuid():
            raise SecretError(
                f"the signing secret {path} belongs to another user: "
                "delete it for `clientes serve` to make another, or set CLIENTES_JWT_SECRET"
            )
        if kept.st_mode & 0o077:
            raise SecretError(
                f"the signing secret {path} can be read by other users "
                f"(mode {kept.st_mode & 0o777:04o}): chmod 600 it, or delete it for "
                "`clientes serve` to make another"
            )
        secret = path.read_text().strip()
    except FileNotFoundError:
        raise SecretError(
            f"no signing secret at {path}: `clientes serve` makes it there on its first start "
            "(run `clientes token` from the directory it runs in, with the same "
            "CLIENTES_DATABASE_URL), or set CLIENTES_JWT_SECRET"
        ) from None
    except OSError as error:
        raise SecretError(f"cannot read the signing secret {path}: {error.strerror}") from None
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise SecretError(
            f"the signing secret in {path} is shorter than {MIN_SECRET_BYTES} bytes: "
            "delete it for `clientes serve` to make another, or set CLIENTES_JWT_SECRET"
        )
    return secret
