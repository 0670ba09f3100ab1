"""clientes encrypt-history: seal the personal values stored in clear by an older release."""

from __future__ import annotations

import argparse
from typing import cast

from api.bootstrap import prepare_store
from api.cli.progress_bar import ProgressBar
from api.settings import Settings
from commands import Clientes
from commands.encrypting import BATCH, Encryption, RewritesEvents


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="count the events that hold personal values in clear, changing nothing "
        "(exit status 1 if there is any)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=BATCH, help="events read and rewritten at a time"
    )


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(with_secret=False)
    prepare_store(settings.store)
    clientes = Clientes(env=settings.store.env)
    bar = ProgressBar(label="encrypt-history")
    job = Encryption(
        cast(RewritesEvents, clientes.recorder),
        clientes.mapper.transcoder,
        batch_size=args.batch_size,
        on_progress=bar.update,
    )
    try:
        found = job.in_clear() if args.check else job.run()
    finally:
        bar.finish()
        clientes.close()
    if args.check:
        print(f"{found:,} event(s) hold personal values in clear")
        return 1 if found else 0
    print(f"Sealed the personal values of {found:,} event(s) stored in clear")
    return 0
