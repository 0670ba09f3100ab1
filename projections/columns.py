"""Table definitions derived from a row Struct's fields, in a store's own types."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec


def column_definitions(row: type[msgspec.Struct], sql_types: Mapping[type, str], key: str) -> str:
    """The column list of a table that holds ``row``: each field with the type
    ``sql_types`` gives its values, NOT NULL unless the field admits None.

    ``key`` is the primary key and comes first, as in the tables that earlier
    releases created; the other columns follow in the row's order.
    """
    fields = {field.name: field.type for field in msgspec.structs.fields(row)}
    definitions = [f"{key} {_sql_type(key, fields.pop(key), sql_types)} PRIMARY KEY"]
    for name, annotation in fields.items():
        null = "" if _admits_none(annotation) else " NOT NULL"
        definitions.append(f"{name} {_sql_type(name, annotation, sql_types)}{null}")
    return ", ".join(definitions)


def column_types(row: type[msgspec.Struct], sql_types: Mapping[type, str]) -> list[str]:
    """The store's type of each of ``row``'s fields, in the row's order."""
    return [_sql_type(f.name, f.type, sql_types) for f in msgspec.structs.fields(row)]


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
