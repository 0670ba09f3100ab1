"""Numbers from paths and headers: what fits the stores' 64-bit integers."""

from __future__ import annotations

import re

MAX_INT64 = 2**63 - 1
DIGITS = re.compile(r"[0-9]{1,19}")


def int64(raw: str) -> int | None:
    """The non-negative 64-bit integer ``raw`` spells in plain digits, else None."""
    if DIGITS.fullmatch(raw) and (number := int(raw)) <= MAX_INT64:
        return number
    return None
