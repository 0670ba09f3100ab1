"""The stored events' JSON, read with msgspec.

Events are written in the eventsourcing library's own JSON format, by its own
encoder: values of other types (UUIDs, datetimes, decimals) as
``{"_type_": name, "_data_": value}``. msgspec parses that text in a fraction
of the time the standard library takes; the typed values are then revived
the way the library's decoder would. (msgspec refuses NaN and Infinity,
which the library would write for such floats: no event here holds a float.)
"""

from __future__ import annotations

from typing import Any

import msgspec
from eventsourcing.persistence import JSONTranscoder


class MsgspecJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder, decoding with msgspec: same bytes, same values."""

    def decode(self, data: bytes) -> Any:
        return self._revive(msgspec.json.decode(data))

    def _revive(self, value: Any) -> Any:
        """``value`` with each typed object in it decoded, innermost first."""
        if type(value) is dict:
            for key, item in value.items():
                if type(item) is dict or type(item) is list:
                    value[key] = self._revive(item)
            return self._decode_obj(value)
        if type(value) is list:
            return [self._revive(item) for item in value]
        return value
