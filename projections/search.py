"""What a page of the read table holds: the filters and the order a request asks for.

Text is searched and sorted in a folded form that the projection computes and
stores beside each row (``fold``): without accents, in one case, so that
``huaman`` finds "Huamán" and ``NUNEZ`` finds "Núñez", the same on every store.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

import msgspec

# The row's fields searched as text; each has a folded copy in the table.
SEARCHED = ("nombre", "codigo_cliente", "numero_documento")
FOLDED_COLUMNS = tuple(f"{name}_folded" for name in SEARCHED)
# The row's fields a list may be sorted by: each has an index, with the id after it.
SORTABLE = ("id", "codigo_cliente", "nombre", "fecha_creacion", "fecha_modificacion")
LIKE_WILDCARDS = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})


def fold(text: str) -> str:
    """``text`` in one case with its accents removed: "Núñez" -> "nunez"."""
    if text.isascii():  # nothing to decompose, and case folds as lower case does
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def folded_values(fields: msgspec.Struct) -> tuple[str, ...]:
    """The folded copies of a row's searched fields, in the order of FOLDED_COLUMNS."""
    return tuple(fold(getattr(fields, name)) for name in SEARCHED)


def matches(text: str, folded: tuple[str, ...]) -> bool:
    """Whether a row whose folded values (in the order of FOLDED_COLUMNS) are
    ``folded`` is found by the folded ``text``: in its nombre, or at the start
    of its code or number. The same test as the store's, in Python."""
    nombre, codigo, numero = folded
    return text in nombre or codigo.startswith(text) or numero.startswith(text)


def containing(text: str) -> str:
    """A LIKE pattern for the values that contain ``text``, its own wildcards escaped."""
    return f"%{text.translate(LIKE_WILDCARDS)}%"


def prefix_end(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix``, in code point
    order; None if there is none (every string at or above ``prefix`` starts with it)."""
    stem = prefix.rstrip(chr(0x10FFFF))
    if not stem:
        return None
    following = ord(stem[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates are no characters
        following = 0xE000
    return stem[:-1] + chr(following)


class SortKey(NamedTuple):
    field: str  # a row field
    descending: bool = False


class ClienteQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Which vigente Clientes a list shows, and in what order; every filter given must hold.

    ``text`` matches a Cliente whose nombre contains it or whose codigo_cliente
    or numero_documento starts with it, folded. ``codigo_cliente`` matches
    whatever its case. ``sort`` orders by row fields, the first key first; ties
    end in id ascending.
    """

    text: str | None = None
    codigo_cliente: str | None = None
    numero_documento: str | None = None
    tipo_cliente: str | None = None
    tipo_documento: str | None = None
    sort: tuple[SortKey, ...] = ()

    @property
    def filtered(self) -> bool:
        return any(
            value is not None
            for value in (
                self.text,
                self.codigo_cliente,
                self.numero_documento,
                self.tipo_cliente,
                self.tipo_documento,
            )
        )

    @property
    def by_types_only(self) -> bool:
        """No filter but tipo_cliente or tipo_documento (or none at all)."""
        return self.text is None and self.codigo_cliente is None and self.numero_documento is None

    @property
    def term(self) -> str | None:
        """The folded text, when it is the only filter: the table may keep its count."""
        if self.text is None or msgspec.structs.replace(self, text=None).filtered:
            return None
        return fold(self.text)

    @property
    def order(self) -> tuple[SortKey, ...]:
        """The keys that decide the order: each field once, ending with id."""
        keys: list[SortKey] = []
        for key in self.sort:
            if key.field not in {k.field for k in keys}:
                keys.append(key)
            if key.field == "id":
                return tuple(keys)  # ids are unique: nothing after them can matter
        return (*keys, SortKey("id"))

    @property
    def in_id_order(self) -> bool:
        return self.order == (SortKey("id"),)


EVERY_CLIENTE = ClienteQuery()
