"""Event schema versions, and the one place where an older stored shape is upcast.

Stored events are never rewritten. Every event records the version of the
schema it was written with (the library stores it as ``class_version``), and
an event read back in an older shape is brought up to the current one, step
by step, by the ``upcast_v<n>_v<n+1>`` methods below, which the library calls
as it decodes the event.

To change an event's shape: raise SCHEMA_VERSION, add the upcast from the
previous version here, and give any new field a value for old events. A field
never changes type, and a removed field is only ever ignored.

Versions:
  1  the first release; it did not record its version in the stored event.
  2  the same fields, and every stored event records its schema version.
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 2


class Versioned:
    """Mixed into every stored event class (Cliente and code-index events alike)."""

    class_version = SCHEMA_VERSION

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 had the fields of version 2; only the version was unrecorded,
        and the library records it from this version on."""
