"""What a kind of store must provide (stores/store.py), and that each kind in stores/ does."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from eventsourcing.utils import resolve_topic

import stores
from commands.idempotency import CountsKeptAnswers
from commands.sealing import DataKeys
from projections.view import ClientesView
from stores import KINDS, Store, StoreSettingsError, store_from_url
from stores.store import MakesReadSide

URLS = {
    "sqlite": "sqlite:///{tmp}/clientes.sqlite3",
    "postgresql": "postgresql://clientes@db.example:5432/clientes",
    "postgres": "postgres://clientes@db.example/clientes",
}


def test_the_package_offers_the_store_its_kinds_and_the_one_way_to_pick_one() -> None:
    assert set(stores.__all__) == {
        "KINDS",
        "Store",
        "StoreSettingsError",
        "StoreUnusable",
        "store_from_url",
    }
    assert set(KINDS) == set(URLS)


@pytest.mark.parametrize("scheme", sorted(URLS))
def test_each_kind_provides_all_a_store_must(scheme: str, tmp_path: Path) -> None:
    kind = KINDS[scheme]
    assert issubclass(kind, Store)
    assert not inspect.isabstract(kind), "every method a store must have is implemented"
    store = store_from_url(URLS[scheme].format(tmp=tmp_path))
    assert type(store) is kind
    assert store.readable_recheck > 0
    assert store.driver_unreachable
    assert all(issubclass(error, Exception) for error in store.unreachable)
    factory = resolve_topic(store.env["PERSISTENCE_MODULE"])
    assert issubclass(factory, MakesReadSide), "it makes the id sequence and the read tables"
    assert issubclass(factory.table, ClientesView)
    assert not inspect.isabstract(factory.table), "its read table does all a read table must"
    recorder = factory.application_recorder_class
    for method in (*vars(CountsKeptAnswers), *vars(DataKeys), "positions_of", "select_events"):
        if not method.startswith("_"):
            assert callable(getattr(recorder, method, None)), f"{scheme}: {method}"


@pytest.mark.parametrize("url", ["mysql://db/x", "sqlite://relative.db", "", "clientes.sqlite3"])
def test_a_url_of_no_kind_is_refused_naming_the_variable(url: str) -> None:
    with pytest.raises(StoreSettingsError) as refused:
        store_from_url(url)
    assert str(refused.value).startswith("CLIENTES_DATABASE_URL ")
