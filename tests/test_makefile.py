"""The README's set-up commands: what `make serve` and `make test` install, and from where.

Run as `make -n` (print, do not run) in a copy of the files the Makefile reads.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ["requirements.lock", "requirements-dev.lock", "requirements-build.lock"]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh clone, as far as the Makefile can tell."""
    for name in ["Makefile", "pyproject.toml", *LOCKS]:
        shutil.copy2(ROOT / name, tmp_path / name)
    return tmp_path


def dry_run(clone: Path, *targets: str) -> list[str]:
    """The commands ``make`` would run, one a line."""
    # Run from `make test`, a make inherits MAKEFLAGS and MAKELEVEL and would add
    # "Entering directory" lines: this one starts afresh, as a user's would.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    result = subprocess.run(
        ["make", "-n", *targets], cwd=clone, capture_output=True, text=True, check=True, env=env
    )
    return result.stdout.splitlines()


def installs(commands: list[str]) -> list[str]:
    return [command for command in commands if " pip install " in command]


def installed(clone: Path, stamp: str) -> None:
    """As if ``make`` had built .venv/ up to ``stamp``."""
    (clone / ".venv" / "bin").mkdir(parents=True, exist_ok=True)
    (clone / ".venv" / "bin" / "python").touch()
    (clone / ".venv" / stamp).touch()


SET_UP = {
    "serve": ("-r requirements.lock -r requirements-build.lock", ".venv/bin/clientes serve"),
    "test": ("-r requirements-dev.lock", ".venv/bin/pytest -m serial"),
}


@pytest.mark.parametrize(
    ("target", "locks", "then"), [(key, *value) for key, value in SET_UP.items()], ids=list(SET_UP)
)
def test_each_set_up_command_installs_from_its_locks_then_runs(
    clone: Path, target: str, locks: str, then: str
) -> None:
    commands = dry_run(clone, target)
    from_locks, in_place = installs(commands)
    assert "--require-hashes" in from_locks
    assert from_locks.endswith(locks)
    assert "--no-build-isolation" in in_place
    assert in_place.endswith("--editable .")
    assert then in commands[-1]


def test_serve_installs_no_development_tool(clone: Path) -> None:
    assert not any("requirements-dev.lock" in command for command in dry_run(clone, "serve"))


def test_test_after_serve_adds_the_development_set(clone: Path) -> None:
    installed(clone, ".installed-runtime")
    assert installs(dry_run(clone, "serve")) == []
    assert installs(dry_run(clone, "test"))[0].endswith("-r requirements-dev.lock")


@pytest.mark.parametrize("target", ["test", "reliability", "lint"])
def test_a_development_target_once_installed_installs_nothing_more(
    clone: Path, target: str
) -> None:
    installed(clone, ".installed")
    assert installs(dry_run(clone, target)) == []


def test_lock_writes_every_lock_file(clone: Path) -> None:
    installed(clone, ".installed")
    commands = dry_run(clone, "lock")
    for lock in LOCKS:
        assert any(command.endswith(f"-o {lock}") for command in commands), lock


def pins(lock: str) -> dict[str, str]:
    """Each package of a lock file with its version and hashes, as one string."""
    entries = re.split(r"\n(?=\S)", (ROOT / lock).read_text())
    return {
        entry.split("==")[0]: " ".join(re.findall(r"==\S+|sha256:\w+", entry)) for entry in entries
    }


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-build.lock"])
def test_the_development_lock_holds_the_same_pins(lock: str) -> None:
    """So `make serve` after `make test` changes nothing in .venv/."""
    development = pins("requirements-dev.lock")
    assert {name: development.get(name) for name in pins(lock)} == pins(lock)


def test_the_build_lock_holds_the_build_backend() -> None:
    assert {"hatchling", "editables"} <= set(pins("requirements-build.lock"))
