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


def _not_above(bound: str) -> str:
    """A regular expression for the strings of ``len(bound)`` digits not above ``bound``."""
    alternatives = [bound]
    for i, digit in enumerate(bound):
        if digit != "0":
            alternatives.append(f"{bound[:i]}[0-{int(digit) - 1}][0-9]{{{len(bound) - i - 1}}}")
    return "|".join(alternatives)


# What int64() accepts, for the OpenAPI document.
INT64_DIGITS = f"[0-9]{{1,{len(str(MAX_INT64)) - 1}}}|{_not_above(str(MAX_INT64))}"
