"""A property-based run of schemathesis against the running service finds nothing.

Every check, every phase (stateful included), a fixed seed and a bounded
number of examples, on both stores, through a real server process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from api.http.auth import READ, WRITE, mint_token
from api.settings import Settings
from stores import Store
from tests.conftest import SECRET
from tests.server import Server, server_env

pytestmark = pytest.mark.slow

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.mark.timeout(900)
def test_schemathesis_finds_nothing(store: Store, tmp_path: Path) -> None:
    token = mint_token(Settings(store=store, jwt_secret=SECRET), "fuzzer", f"{READ} {WRITE}", 3600)
    with Server(server_env(store, SECRET)) as server:
        result = subprocess.run(
            [
                str(SCHEMATHESIS),
                "--config-file",
                str(CONFIG),
                "run",
                f"{server.url}/schema/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "all",
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--seed",
                "20261129",
                "--max-examples",
                "15",
                "--workers",
                "1",
                "--no-color",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=840,
            check=False,
        )
        warnings = [line for line in server.output().splitlines() if '"level":"info"' not in line]
    # What schemathesis found, and the server's own account of it (its warnings and errors).
    report = "\n".join([result.stdout[-6000:], result.stderr[-2000:], *warnings[-20:]])
    assert result.returncode == 0, report
    assert "Failures:" not in result.stdout, report
