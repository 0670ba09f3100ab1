"""Folding, patterns and the order of a search, without I/O."""

from __future__ import annotations

import unicodedata

import pytest

from projections.search import ClienteQuery, SortKey, containing, fold, prefix_end


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Núñez", "nunez"),
        ("NÚÑEZ", "nunez"),
        ("Huamán", "huaman"),
        ("Ñahui", "nahui"),
        ("ÇÀÉÎÕÜ", "caeiou"),
        ("Straße", "strasse"),
        ("İstanbul", "istanbul"),
        ("ﬁcha Nº 2", "ficha no 2"),
        ("ACME-001", "acme-001"),
        ("100% _x_", "100% _x_"),
    ],
)
def test_folding_drops_accents_and_case(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert fold(folded) == folded


def test_ascii_text_folds_as_decomposed_text_does() -> None:
    ascii_text = "".join(map(chr, range(128)))
    decomposed = unicodedata.normalize("NFKD", ascii_text.casefold())
    assert fold(ascii_text) == decomposed == ascii_text.lower()


def test_like_wildcards_and_the_escape_character_are_escaped() -> None:
    assert containing("100%") == "%100\\%%"
    assert containing("a_b") == "%a\\_b%"
    assert containing("a\\b") == "%a\\\\b%"


@pytest.mark.parametrize(
    ("prefix", "end"),
    [
        ("abc", "abd"),
        ("a", "b"),
        ("a\U0010ffff", "b"),
        ("\ud7ff", "\ue000"),
        ("\U0010ffff", None),
        ("", None),
    ],
)
def test_the_end_of_a_prefix_is_above_every_string_that_starts_with_it(
    prefix: str, end: str | None
) -> None:
    assert prefix_end(prefix) == end
    if end is not None:
        assert prefix < prefix + "\U0010ffff" * 3 < end


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ((), [("id", False)]),
        ((SortKey("nombre"),), [("nombre", False), ("id", False)]),
        ((SortKey("nombre", True),), [("nombre", True), ("id", False)]),
        ((SortKey("id", True), SortKey("nombre")), [("id", True)]),
        ((SortKey("nombre"), SortKey("nombre", True)), [("nombre", False), ("id", False)]),
        (
            (SortKey("fecha_creacion", True), SortKey("codigo_cliente")),
            [("fecha_creacion", True), ("codigo_cliente", False), ("id", False)],
        ),
    ],
)
def test_the_order_takes_each_field_once_and_ends_in_the_id(
    sort: tuple[SortKey, ...], order: list[tuple[str, bool]]
) -> None:
    assert list(ClienteQuery(sort=sort).order) == order


def test_a_query_is_filtered_when_any_filter_is_given() -> None:
    assert not ClienteQuery(sort=(SortKey("nombre"),)).filtered
    assert ClienteQuery(tipo_documento="RUC").filtered
    assert ClienteQuery().in_id_order
    assert not ClienteQuery(sort=(SortKey("id", True),)).in_id_order
