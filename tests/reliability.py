"""The reliability suite's figures: what each test tried, how much, and what held.

Each test module of the suite opens a category under its own name (``__name__``)
and adds its counts to ``REPORT``; a failed test is recorded against its module.
At the end of a run the figures are written to the file that
``CLIENTES_RELIABILITY_REPORT`` names (``make reliability`` writes docs/reliability.md).
"""

from __future__ import annotations

import os
import platform
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPORT_ENV = "CLIENTES_RELIABILITY_REPORT"


@dataclass
class Category:
    title: str
    tried: str  # what was done, in words
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # what was checked and held
    passed: int = 0  # tests of the category that passed


@dataclass
class Report:
    categories: dict[str, Category] = field(default_factory=dict)

    def category(self, key: str, title: str, tried: str) -> Category:
        return self.categories.setdefault(key, Category(title, tried))

    def test_failed(self, nodeid: str) -> None:
        """A test of a category failed: the category says so, by the test's id."""
        if (category := self._of(nodeid)) is not None:
            category.failures.append(f"test {nodeid}")

    def test_passed(self, nodeid: str) -> None:
        if (category := self._of(nodeid)) is not None:
            category.passed += 1

    def _of(self, nodeid: str) -> Category | None:
        module = nodeid.split("::", maxsplit=1)[0].removesuffix(".py").replace("/", ".")
        return self.categories.get(module)

    def markdown(self) -> str:
        lines = [
            "# Reliability and security",
            "",
            "Written by the test suite's own run (`make reliability`); every figure below",
            "is what that run did and saw. The same tests run in `.ci/run`.",
            "",
            f"- Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{platform.node() or 'this machine'}, Python {platform.python_version()}, "
            f"{os.cpu_count()} cores",
            "",
            "| Category | Tried | Counts | Failures |",
            "|---|---|---|---:|",
        ]
        for category in self.categories.values():
            counts = ", ".join(f"{name}: {n:,}" for name, n in sorted(category.counts.items()))
            failed = len(category.failures)
            lines.append(f"| {category.title} | {category.tried} | {counts} | {failed} |")
        for category in self.categories.values():
            lines += ["", f"## {category.title}", "", category.tried, ""]
            lines += [f"- held: {item}" for item in category.held]
            lines += [f"- held: tests passed: {category.passed}"] if category.passed else []
            lines += [f"- FAILED: {item}" for item in category.failures]
        return "\n".join(lines) + "\n"

    def write(self) -> None:
        target = os.environ.get(REPORT_ENV)
        if target and self.categories:
            Path(target).write_text(self.markdown())


REPORT = Report()


def counting(key: str, title: str, tried: str, unit: str) -> Callable[[], None]:
    """An autouse fixture that opens a module's category and counts each of its tests
    as one of ``unit`` (a payload, a token): for a module named ``key`` (``__name__``)."""

    @pytest.fixture(autouse=True)
    def counted() -> None:
        REPORT.category(key, title, tried).counts[unit] += 1

    return counted
