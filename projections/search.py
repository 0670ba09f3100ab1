"""What a page of the read table holds: the filters and the order a request asks for.

Text is searched and sorted in a folded form that the projection computes and
stores beside each row (``fold``): without accents, in one case, so that
``huaman`` finds "Huamán" and ``NUNEZ`` finds "Núñez", the same on every store.
A phone is searched by its digits alone, so that ``555 0100`` finds
"+51 1 555-0100".
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

import msgspec

# What ``q`` looks in: the row's fields searched as text, each with a copy in the
# table made for the search (a field with no value has an empty one).
CONTAINED = ("nombre", "contacto_representante")  # found wherever the text is in them
PREFIXED = ("codigo_cliente", "numero_documento", "email")  # found when they start with it
# In the order the table has them: a release's new copies come after the earlier ones.
FOLDED = ("nombre", "codigo_cliente", "numero_documento", "contacto_representante", "email")
FOLDED_COLUMNS = (
    *(f"{name}_folded" for name in FOLDED),
    "telefono_digits",  # the phone's digits alone, found when they hold the text's
)
MIN_PHONE_DIGITS = 6  # fewer digits in a text look for no phone: too many would match
# The row's fields a list may be sorted by: each has an index, with the id after it.
SORTABLE = ("id", "codigo_cliente", "nombre", "fecha_creacion", "fecha_modificacion")
LIKE_WILDCARDS = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})


def fold(text: str) -> str:
    """``text`` in one case with its accents removed: "Núñez" -> "nunez"."""
    if text.isascii():  # nothing to decompose, and case folds as lower case does
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def digits(text: str) -> str:
    """The ASCII digits of ``text``, in order: "+51 1 555-0100" -> "5115550100"."""
    return "".join(c for c in text if "0" <= c <= "9")


def phone_digits(text: str) -> str | None:
    """The digits a text looks for in phones; None when it holds too few to."""
    found = digits(text)
    return found if len(found) >= MIN_PHONE_DIGITS else None


def folded_values(fields: msgspec.Struct) -> tuple[str, ...]:
    """The copies of a row's searched fields, in the order of FOLDED_COLUMNS."""
    *texts, telefono = (getattr(fields, name) or "" for name in (*FOLDED, "telefono"))
    return (*(fold(text) for text in texts), digits(telefono))


def matches(text: str, folded: tuple[str, ...]) -> bool:
    """Whether a row whose copies (in the order of FOLDED_COLUMNS) are ``folded`` is
    found by the folded ``text``: in its nombre or representative, at the start of
    its code, number or e-mail, or, when the text holds enough digits, in its
    phone's digits. The same test as the store's, in Python."""
    nombre, codigo, numero, contacto, email, telefono = folded
    if text in nombre or text in contacto:
        return True
    if codigo.startswith(text) or numero.startswith(text) or email.startswith(text):
        return True
    wanted = phone_digits(text)
    return wanted is not None and wanted in telefono


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

    ``text`` matches a Cliente whose nombre or contacto_representante contains
    it, whose codigo_cliente, numero_documento or email starts with it, folded, or
    whose telefono's digits hold its digits, when it has six or more. ``codigo_cliente`` matches
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
