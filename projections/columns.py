"""Table definitions derived from a row Struct's fields, in a store's own types."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

import msgspec


class Column(NamedTuple):
    """A column of a table: its name, its type on the store, and whether it admits null."""

    name: str
    type: str
    nullable: bool

    def definition(self, *, nullable: bool = False) -> str:
        """The column as CREATE TABLE or ADD COLUMN declares it; admitting null,
        whatever it is declared, if ``nullable``."""
        null = "" if self.nullable or nullable else " NOT NULL"
        return f"{self.name} {self.type}{null}"


def columns(row: type[msgspec.Struct], sql_types: Mapping[type, str]) -> list[Column]:
    """A column for each of ``row``'s fields, in the row's order: each with the type
    ``sql_types`` gives its values, admitting null only if the field admits None."""
    return [
        Column(field.name, _sql_type(field.name, field.type, sql_types), _admits_none(field.type))
        for field in msgspec.structs.fields(row)
    ]


def column_definitions(row: type[msgspec.Struct], sql_types: Mapping[type, str], key: str) -> str:
    """The column list of a table that holds ``row``: each field with the type
    ``sql_types`` gives its values, NOT NULL unless the field admits None.

    ``key`` is the primary key and comes first, as in the tables that earlier
    releases created; the other columns follow in the row's order.
    """
    by_name = {column.name: column for column in columns(row, sql_types)}
    first = by_name.pop(key)
    return ", ".join(
        [f"{key} {first.type} PRIMARY KEY", *(column.definition() for column in by_name.values())]
    )


def column_types(row: type[msgspec.Struct], sql_types: Mapping[type, str]) -> list[str]:
    """The store's type of each of ``row``'s fields, in the row's order."""
    return [column.type for column in columns(row, sql_types)]


def _admits_none(annotation: Any) -> bool:
    return type(None) in _options(annotation)


def _sql_type(name: str, annotation: Any, sql_types: Mapping[type, str]) -> str:
    (value_type,) = _options(annotation) - {type(None)}
    if get_origin(value_type) is Literal:
        (value_type,) = {type(value) for value in get_args(value_type)}
    if value_type not in sql_types:
        raise TypeError(f"{name}: no column type for {value_type!r}")
    return sql_types[value_type]


def _options(annotation: Any) -> set[Any]:
    """The types a field admits: the members of a union, or the one type (constraints aside)."""
    if get_origin(annotation) in (Union, types.UnionType):
        return set().union(*(_options(option) for option in get_args(annotation)))
    if get_origin(annotation) is Annotated:
        return {get_args(annotation)[0]}
    return {annotation}
