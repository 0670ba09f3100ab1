"""The statement of a page of found Clientes, written once for every store.

Every condition is one an index answers: text in the folded nombre or
representative, or digits in the phone's, through trigram indexes; a prefix
of the folded code, number or e-mail as a range of a btree index;
exact values through their own indexes. A list filtered by types alone (or not
at all) is read in order from the btree index of its sort key and the id, and
its total adds up the counts the table keeps per pair of types (or per block of
ids); so is a search by a text alone whose count the table keeps
(projections/terms.py), its total that count. Any other filter finds its
matches once, through their indexes, for both the total (the exact count the
contract asks for) and the page (the first of them in order).
"""

from __future__ import annotations

from typing import Any, Protocol

from projections.rows import COLUMNS
from projections.search import CONTAINED, PREFIXED, ClienteQuery, fold, phone_digits, prefix_end

# Text sorts by its folded copy: case and accents aside, as the search sees it.
SORT_COLUMNS = {"nombre": "nombre_folded", "codigo_cliente": "codigo_cliente_folded"}
CONTAINED_COLUMNS = tuple(f"{name}_folded" for name in CONTAINED)
PREFIXED_COLUMNS = tuple(f"{name}_folded" for name in PREFIXED)


class Dialect(Protocol):
    """What a store's SQL needs said its own way."""

    lateral: str  # how a subquery in FROM may read the row before it

    def mark(self, name: str) -> str:
        """The placeholder of the parameter ``name``."""
        ...

    def contains(
        self, columns: tuple[str, ...], text: str, params: dict[str, Any], name: str
    ) -> str:
        """The condition that one of ``columns`` contains ``text``; adds its params,
        named from ``name``."""
        ...


def page_statement(
    query: ClienteQuery, dialect: Dialect, *, kept: bool = False
) -> tuple[str, dict[str, Any]]:
    """A page of the matches in order, each with the total, from one snapshot; a null
    id when the page holds none. ``kept`` when the table keeps the count of the
    query's term. The text names the tables ``{rows}``, ``{blocks}``, ``{tipos}``
    and ``{terms}``, and takes ``offset`` and ``limit``."""
    conditions, params = _conditions(query, dialect)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    sort_columns = [SORT_COLUMNS.get(key.field, key.field) for key in query.order]
    order = ", ".join(
        f"{column}{' DESC' if key.descending else ''}"
        for column, key in zip(sort_columns, query.order, strict=True)
    )
    page = f"ORDER BY {order} LIMIT {dialect.mark('limit')} OFFSET {dialect.mark('offset')}"
    # The page's rows with their sort keys, ordered again once joined: a store may
    # flatten the page into the statement around it and lose its order.
    selected = ", ".join(dict.fromkeys([*COLUMNS, *sort_columns]))
    if query.by_types_only or (kept and query.term is not None):
        # Read in order from the sort key's index; the total is kept, or adds up kept
        # counts. (Should the table not keep the term after all, its matches are counted.)
        if query.by_types_only:
            counted = f"{{tipos}}{where}" if conditions else "{blocks}"
            total = f"(SELECT coalesce(sum(vigentes), 0) FROM {counted})"
        else:
            params["term"] = query.term
            total = (
                f"coalesce((SELECT matches FROM {{terms}} WHERE term = {dialect.mark('term')}),"
                f" (SELECT count(*) FROM {{rows}}{where}))"
            )
        return (
            f"SELECT {total} AS total, c.*"
            f" FROM (SELECT 1) AS one LEFT JOIN {dialect.lateral}"
            f"(SELECT {selected} FROM {{rows}}{where} {page}) AS c ON true ORDER BY {order}",
            params,
        )
    # The matches are found once, through the indexes of the conditions, for both the
    # total and the page (a statement that names them twice computes them once):
    # matches that gather in one part of the sort key's index, as the numbers of one
    # prefix do, cannot make the page scan that index from its start.
    keys = ", ".join(dict.fromkeys([*sort_columns, "id"]))
    return (
        f"WITH found AS (SELECT {keys} FROM {{rows}}{where})"
        " SELECT (SELECT count(*) FROM found) AS total, c.*"
        f" FROM (SELECT 1) AS one LEFT JOIN {dialect.lateral}"
        f"(SELECT {selected} FROM {{rows}} WHERE id IN (SELECT id FROM found {page}))"
        f" AS c ON true ORDER BY {order}",
        params,
    )


def count_statement(query: ClienteQuery, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """How many Clientes ``query`` finds, as ``total``; the text names ``{rows}``."""
    conditions, params = _conditions(query, dialect)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT count(*) AS total FROM {{rows}}{where}", params


def _conditions(query: ClienteQuery, dialect: Dialect) -> tuple[list[str], dict[str, Any]]:
    mark = dialect.mark
    conditions: list[str] = []
    params: dict[str, Any] = {}
    if query.text is not None:
        text = fold(query.text)
        params["prefix"] = text
        end = prefix_end(text)
        if end is not None:
            params["prefix_end"] = end
        starts = [
            f"{column} >= {mark('prefix')}"
            + (f" AND {column} < {mark('prefix_end')}" if end is not None else "")
            for column in PREFIXED_COLUMNS
        ]
        alternatives = [
            dialect.contains(CONTAINED_COLUMNS, text, params, "contains"),
            *(f"({s})" for s in starts),
        ]
        if (wanted := phone_digits(text)) is not None:
            alternatives.append(dialect.contains(("telefono_digits",), wanted, params, "phone"))
        conditions.append(f"({' OR '.join(alternatives)})")
    if query.codigo_cliente is not None:
        # Codes are ASCII: folded, a code is in lower case.
        params["codigo"] = fold(query.codigo_cliente)
        conditions.append(f"codigo_cliente_folded = {mark('codigo')}")
    for name in ("numero_documento", "tipo_cliente", "tipo_documento"):
        value = getattr(query, name)
        if value is not None:
            params[name] = value
            conditions.append(f"{name} = {mark(name)}")
    return conditions, params


# The btree indexes that searches and sorts read, by the suffix of their name:
# each sort key with the id that breaks its ties, the folded code and number
# for their prefixes, and the exact filters.
INDEXES = {
    "nombre_order": "nombre_folded, id",
    "codigo_order": "codigo_cliente_folded, id",
    "numero_prefix": "numero_documento_folded",
    "email_prefix": "email_folded",
    "numero": "numero_documento",
    "tipo_cliente": "tipo_cliente, id",
    "tipo_documento": "tipo_documento, id",
    "creacion_order": "fecha_creacion, id",
    "modificacion_order": "fecha_modificacion, id",
}
