"""Running the `clientes` command as a user runs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.server import CLIENTES


def clientes(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLIENTES), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def bare_env(**extra: str) -> dict[str, str]:
    """The environment without any CLIENTES_* setting of the caller's."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("CLIENTES_")}, **extra}
