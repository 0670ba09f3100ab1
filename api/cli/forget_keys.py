"""clientes forget-keys: delete the answers kept for idempotency keys past their 24 hours."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from api.bootstrap import prepare_store
from api.settings import Settings
from commands import Clientes
from commands.forgetting import forget_expired_keys


def run(_: argparse.Namespace) -> int:
    settings = Settings.from_env(with_secret=False)
    prepare_store(settings)
    clientes = Clientes(env=settings.store.env)
    try:
        deleted = forget_expired_keys(
            clientes.recorder,
            clientes.mapper,
            settings.store.event_deleter(clientes.recorder),
            datetime.now(UTC),
        )
    finally:
        clientes.close()
    print(f"Deleted {deleted:,} expired answer(s) of idempotency keys")
    return 0
