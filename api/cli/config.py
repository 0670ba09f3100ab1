"""clientes config: the effective configuration, each variable with its value, secrets masked."""

from __future__ import annotations

import argparse

from api.settings import Config, Settings


def run(_: argparse.Namespace) -> int:
    # Checked as the service checks it, so a bad value is refused here as at start-up.
    Settings.from_env(with_secret=False)
    for variable, value in Config.from_env().shown():
        print(f"{variable}={value}")
    return 0
