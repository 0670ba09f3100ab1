"""The benchmark's searches find what it seeds: every search scenario, asked of the
service over Clientes made from the seed's fields, finds some of them and not all."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from bench.scenarios import SCENARIOS, Dataset
from bench.seed import datos
from projections.envelopes import API_NAMES
from stores import Store

pytestmark = pytest.mark.postgres

SEEDED = 40


@pytest.fixture
def store(postgres_store: Store) -> Store:
    """The bench runs on PostgreSQL."""
    return postgres_store


@pytest.mark.parametrize(
    "scenario",
    [s for s in SCENARIOS if s.name.startswith("search")],
    ids=lambda s: s.slug,
)
def test_a_search_of_the_bench_finds_some_seeded_clientes_and_not_all(
    client: TestClient[Litestar], auth: dict[str, str], tmp_path: Path, scenario: object
) -> None:
    for n in range(1, SEEDED + 1):
        body = {API_NAMES[name]: value for name, value in datos(n).items() if value is not None}
        assert client.post("/api/clientes", json=body, headers=auth).status_code == 201
    data = Dataset(size=SEEDED, last_id=SEEDED, workdir=tmp_path)
    (side,) = scenario.sides  # type: ignore[attr-defined]
    paths = Path(side.load(data).args[0]).read_text().split()
    assert paths
    for path in paths[:6]:
        found = client.get(path, headers=auth).json()["totalElements"]
        assert 0 < found < SEEDED, (path, found)
