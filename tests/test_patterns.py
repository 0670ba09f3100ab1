"""Every pattern the service runs on what a client sends reads it in linear time.

A backtracking engine takes exponential or quadratic time where two runs of
one character class meet (``[ ]*(?:x)?[ ]*``), where an unbounded run sits
inside another whose turns it could split (``(?:a+)*``; ``(?:,[ ]*)*`` is safe:
each turn starts with a comma the inner run cannot take), or where a repeated
choice has two ways to start (``(?:a|ab)*``). These tests list every pattern
of the service, read each one's syntax tree and refuse those shapes, so that
a new pattern with one cannot land; a bounded run (``{0,148}``) costs at most
its bound.
"""

from __future__ import annotations

import pkgutil
import re
from collections.abc import Iterator
from importlib import import_module
from typing import Any

import pytest

import api.http
import commands
from commands import validation

# The standard library's own reading of a pattern into a syntax tree (untyped, private).
_parser: Any = import_module("re._parser")
sre: Any = import_module("re._constants")
UNIVERSE = frozenset([*range(0x180), 0x2028, 0xFEFF, 0x1F600])  # the characters tried
Chars = frozenset[int]


def service_patterns() -> Iterator[tuple[str, str]]:
    """(name, pattern) for every pattern of the modules that read what clients send: the
    HTTP layer's and the write side's, every module of each."""
    packages = [api.http, commands]
    modules = [
        import_module(found.name)
        for package in packages
        for found in pkgutil.iter_modules(package.__path__, f"{package.__name__}.")
    ]
    for module in modules:
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                yield f"{module.__name__}.{name}", value.pattern
            elif isinstance(value, str) and name.endswith("PATTERN"):
                yield f"{module.__name__}.{name}", value
            elif isinstance(value, validation.Rule):
                yield f"{module.__name__}.{name}", value.pattern
    for tipo, rule in validation.NUMERO_DOCUMENTO.items():
        yield f"NUMERO_DOCUMENTO[{tipo}]", rule.pattern


def hazards(pattern: str) -> list[str]:
    """The places where ``pattern`` can backtrack more than linearly, in words."""
    found: list[str] = []
    _sequence(list(_parser.parse(pattern)), frozenset(), True, found, inside_run=False)
    return found


def _sequence(
    items: list[Any], follow: Chars, open_end: bool, found: list[str], *, inside_run: Any
) -> None:
    """Checks a sequence; ``follow`` is what may come after it (``open_end``: or nothing).

    ``inside_run`` is False outside any unbounded run; inside one, the characters no
    run within may take (those that start each of its turns), or an empty set.
    """
    for index, item in enumerate(items):
        op, arg = item
        after, after_open = _first(items[index + 1 :], follow, open_end)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            _, high, body = arg
            unbounded = high == sre.MAXREPEAT
            run = _single_class(list(body))
            if unbounded and run is not None and run & after:
                # Covers a run inside another, too: what follows it includes the next turn.
                found.append(f"a run at item {index} meets what may follow it")
            splits = inside_run is not False and not _runs([item]) <= inside_run
            if unbounded and run is None and splits:
                found.append(f"an unbounded run at item {index} inside another it could split")
            if unbounded and _choices_overlap(list(body)):
                found.append(f"a repeated choice at item {index} has two ways to start")
            # A turn may be followed by the next one, or by what follows the run.
            again = _first(list(body), after, after_open)[0] if high > 1 else frozenset()
            # What the turns of an unbounded run start with, which a run inside may not take.
            turns = _delimiter(list(body)) if unbounded else inside_run
            _sequence(list(body), again | after, after_open, found, inside_run=turns)
        elif op == sre.SUBPATTERN:
            _sequence(list(arg[3]), after, after_open, found, inside_run=inside_run)
        elif op == sre.BRANCH:
            for branch in arg[1]:
                _sequence(list(branch), after, after_open, found, inside_run=inside_run)


def _delimiter(items: list[Any]) -> Chars:
    """The characters a turn of a run must start with, when it must start with one
    character (class) that it cannot skip; else none: nothing may run inside it."""
    if items and items[0][0] in (sre.LITERAL, sre.NOT_LITERAL, sre.IN):
        return UNIVERSE - _chars(items[0])  # a run inside may take only the others
    return frozenset()


def _runs(items: list[Any]) -> Chars:
    """Every character an unbounded run inside ``items`` (at any depth) may take."""
    taken: set[int] = set()
    for op, arg in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            _, high, body = arg
            if high == sre.MAXREPEAT:
                taken |= _first(list(body), frozenset(), True)[0] | _runs(list(body))
            taken |= _runs(list(body))
        elif op == sre.SUBPATTERN:
            taken |= _runs(list(arg[3]))
        elif op == sre.BRANCH:
            for branch in arg[1]:
                taken |= _runs(list(branch))
    return frozenset(taken)


def _choices_overlap(items: list[Any]) -> bool:
    """Whether a choice in ``items`` has two alternatives that may start alike."""
    for op, arg in items:
        if op == sre.SUBPATTERN and _choices_overlap(list(arg[3])):
            return True
        if op == sre.BRANCH:
            firsts = [_first(list(branch), frozenset(), True)[0] for branch in arg[1]]
            if any(a & b for i, a in enumerate(firsts) for b in firsts[i + 1 :]):
                return True
    return False


def _single_class(items: list[Any]) -> Chars | None:
    """The characters of a run's body when it is one character (class), else None."""
    if len(items) == 1 and items[0][0] in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY):
        return _chars(items[0])
    return None


def _first(items: list[Any], follow: Chars, open_end: bool) -> tuple[Chars, bool]:
    """The characters a match of ``items`` (then ``follow``) may start with, and whether
    it may be empty and end the sequence (``open_end``)."""
    chars: set[int] = set()
    for op, arg in items:
        if op == sre.AT:
            continue  # ^, $ and the like match no character
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, _, body = arg
            inner, empty = _first(list(body), frozenset(), True)
            chars |= inner
            if low > 0 and not empty:
                return frozenset(chars), False
            continue
        if op == sre.SUBPATTERN:
            inner, empty = _first(list(arg[3]), frozenset(), True)
        elif op == sre.BRANCH:
            firsts = [_first(list(branch), frozenset(), True) for branch in arg[1]]
            inner = frozenset().union(*(first for first, _ in firsts))
            empty = any(empty for _, empty in firsts)
        else:
            inner, empty = _chars((op, arg)), False
        chars |= inner
        if not empty:
            return frozenset(chars), False
    return frozenset(chars | follow), open_end


def _chars(item: Any) -> Chars:
    """The characters one character-matching item admits, within UNIVERSE."""
    op, arg = item
    if op == sre.LITERAL:
        return frozenset({arg}) & UNIVERSE
    if op == sre.NOT_LITERAL:
        return UNIVERSE - {arg}
    if op == sre.ANY:
        return UNIVERSE - {ord("\n")}
    if op != sre.IN:
        raise TypeError(f"not a character: {item!r}")
    admitted: set[int] = set()
    negated = False
    for kind, value in arg:
        if kind == sre.NEGATE:
            negated = True
        elif kind == sre.LITERAL:
            admitted.add(value)
        elif kind == sre.RANGE:
            admitted |= {c for c in UNIVERSE if value[0] <= c <= value[1]}
        elif kind == sre.CATEGORY:
            admitted |= {c for c in UNIVERSE if re.fullmatch(_CATEGORIES[value], chr(c))}
    return UNIVERSE - admitted if negated else frozenset(admitted) & UNIVERSE


_CATEGORIES = {sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_SPACE: r"\s", sre.CATEGORY_WORD: r"\w"}


@pytest.mark.parametrize(("name", "pattern"), list(service_patterns()), ids=lambda v: str(v)[:40])
def test_no_pattern_of_the_service_can_backtrack_more_than_linearly(
    name: str, pattern: str
) -> None:
    assert hazards(pattern) == [], f"{name}: {pattern}"


def test_the_patterns_are_all_listed() -> None:
    names = {name for name, _ in service_patterns()}
    assert {
        "api.http.conditional.ETAGS_PATTERN",
        "api.http.filters.SORT_PATTERN",
        "api.http.idempotency.KEY_PATTERN",
        "api.http.events.POSITION_PATTERN",
        "commands.validation.NOMBRE",
        "commands.validation.EMAIL",
        "commands.validation.SEARCH_TEXT",
        "api.http.numbers.DIGITS",
    } <= names


@pytest.mark.parametrize(
    "pattern",
    [
        # The shapes this check exists for, as they were in the service.
        r'^(?:\*|(?:(?:W/)?"[!#-~]*")?(?:[ \t]*,[ \t]*(?:(?:W/)?"[!#-~]*")?)*)$',
        r"^[ \t\n\r]*(?:[^ \x00-\x1f](?:[^\x00-\x1f]{0,98}[^ \x00-\x1f])?)?[ \t\n\r]*$",
        r"[a-z]+(?:[a-z.]+)*@x",
        r"^a*a*$",
        r"^(?:[ab]x|ay)*c$",
        r"^(?:a[ab]*)*$",
    ],
)
def test_the_check_finds_the_shapes_that_backtrack(pattern: str) -> None:
    assert hazards(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"^[ \t]*(?:x[ \t]*)?$",
        r'"[!#-~]*"',
        r"^[0-9]{1,19}$",
        r"^(?:a,)*b$",
        r"[ -~]{1,255}",
        r"^(?:,[ \t]*(?:x[ \t]*)?)*$",
        r"[a-z]+(?:\.[a-z]+)*@x",
    ],
)
def test_the_check_passes_runs_that_cannot_meet(pattern: str) -> None:
    assert hazards(pattern) == []
