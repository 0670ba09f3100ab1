"""Event schema versions: each stored event class has its own, and its own upcasters.

Stored events are never rewritten. Each event class declares the version of
its shape (``class_version``), which the library records in every event it
stores; an event read back in an older shape is brought up to its class's
current one, step by step, by that class's ``upcast_v<n>_v<n+1>`` static
methods, which the library calls as it decodes the event. A class's version
moves only when its own shape changes: the other classes, and their stored
events, are untouched.

The stored event classes are the Cliente's events (commands/cliente.py), the
code index's (commands/codigo.py) and the kept answer to an Idempotency-Key
(commands/idempotency.py, KeyedAnswer). Each is at version 2 so far:
  1  the first release; it did not record its version in the stored event.
  2  the same fields; the version is recorded (the library records none below 2).

To change one event's shape, in its class alone:
  1. Raise its ``class_version`` from n to n+1.
  2. Add ``upcast_v<n>_v<n+1>(state)``, a static method that changes the stored
     state (a dict of the event's fields) in place into the new shape: give a
     new field its value for older events (None for an optional one), rename a
     field, or drop one that is gone. Keep every earlier step: an event of
     version 1 passes through all of them.
  3. A field never changes type, and a stored event is never rewritten.
  4. Test it as tests/test_schema_versions.py does: store the older shape
     (``store_shape``), read it back in the new one.
A new field of the Cliente's data (commands/validation.py) is also a new
column of the read table: at the next start an existing table gets it, empty,
if it admits None (projections/view.py, ``add_missing_columns``); if every row
needs it, start-up refuses until `clientes replay` has rebuilt the table.

Rolling back is possible only as long as no event of a new version has been
stored.
"""

from __future__ import annotations

from typing import Any


def unchanged(state: dict[str, Any]) -> None:
    """A step between two versions of the same fields (from 1 to 2, where only the
    recording of the version began)."""
