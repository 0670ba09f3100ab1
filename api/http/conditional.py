"""Conditional requests: the entity tags of If-Match and If-None-Match.

A Cliente's entity tag is its version in quotes (``"3"``). Both headers take
``*`` or a comma-separated list of entity tags (RFC 9110); a weak tag
(``W/"3"``) never satisfies If-Match, and does satisfy If-None-Match. A value
that is not entity tags at all is refused, saying how to write one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Final

from litestar.params import HeaderParameter

from api.http.errors import problem
from api.http.numbers import int64
from api.http.openapi import present_only

_TAG = r'(?:W/)?"[!#-~]*"'
_SPACE = r"[ \t]*"
# RFC 9110's list syntax, for the OpenAPI document: elements may be empty (an empty
# value is an empty list, which no version matches). Written so that no two runs of
# blanks meet, it describes the header; parse_etags reads it without any pattern over
# the whole value, element by element, in time linear in its length.
ETAGS_PATTERN: Final = rf"^(?:\*|{_SPACE}(?:{_TAG}{_SPACE})?(?:,{_SPACE}(?:{_TAG}{_SPACE})?)*)$"
_OPAQUE = re.compile(r"[!#-~]*")  # what an entity tag holds between its quotes
_BLANK_OR_COMMA = frozenset(" \t,")


@dataclass(frozen=True)
class EntityTags:
    """What a conditional header names: any version (``*``), or these versions."""

    any: bool = False
    strong: frozenset[int] = frozenset()
    weak: frozenset[int] = frozenset()

    def if_match(self) -> frozenset[int] | None:
        """The versions a write may change; None when any will do."""
        return None if self.any else self.strong

    def none_match(self, version: int) -> bool:
        """Whether If-None-Match is satisfied, i.e. the client has another version."""
        return not (self.any or version in self.strong or version in self.weak)


def etag(version: int) -> str:
    return f'"{version}"'


def parse_etags(header: str | None, name: str) -> EntityTags | None:
    """The entity tags of the header ``name``; None when it is absent.

    Read element by element, each tag found with one search for its closing
    quote: no pattern runs over the whole value, so any value is read in time
    linear in its length. (A tag may hold commas: the value is not split on them.)
    """
    if header is None:
        return None
    value = header.strip(" \t")
    if value == "*":
        return EntityTags(any=True)
    strong: set[int] = set()
    weak: set[int] = set()
    for weakness, opaque in _elements(value):
        if opaque is None:
            message = f'must be * or entity tags in double quotes, e.g. {name}: "3" (or "3", "4")'
            raise problem(400, f"{name} {message}", [{"field": name, "message": message}])
        version = int64(opaque)
        if version is not None:
            (weak if weakness else strong).add(version)
    return EntityTags(strong=frozenset(strong), weak=frozenset(weak))


def _elements(value: str) -> Iterator[tuple[bool, str | None]]:
    """Each entity tag of a list, weak or not, with what it holds between its quotes;
    None in place of what it holds where the list stops being one."""
    at, end = 0, len(value)
    while at < end:
        if value[at] in _BLANK_OR_COMMA:  # blanks and empty elements
            at += 1
            continue
        weakness = value.startswith("W/", at)
        start = at + 2 if weakness else at
        close = value.find('"', start + 1) if value.startswith('"', start) else -1
        opaque = value[start + 1 : close]
        if close < 0 or not _OPAQUE.fullmatch(opaque):
            yield weakness, None
            return
        yield weakness, opaque
        at = close + 1
        while at < end and value[at] in " \t":
            at += 1
        if at < end and value[at] != ",":  # tags are separated by commas
            yield weakness, None
            return


def _header(name: str, description: str) -> HeaderParameter:
    return HeaderParameter(
        name=name,
        description=description,
        schema_extra=present_only("string", pattern=ETAGS_PATTERN, examples=['"1"']),
    )


IfMatch = Annotated[
    str | None,
    _header(
        "If-Match",
        'Change the Cliente only if it is at one of these versions, e.g. "3"; '
        "otherwise 412. A weak tag never matches.",
    ),
]
IfNoneMatch = Annotated[
    str | None,
    _header(
        "If-None-Match",
        'Answer 304 with no body if the Cliente is at one of these versions, e.g. "3", or *',
    ),
]
