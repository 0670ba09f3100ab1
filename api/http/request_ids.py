"""X-Request-ID: the caller's own when it is fit to log, else a new one."""

from __future__ import annotations

import re
import uuid

HEADER = "x-request-id"
MAX_LENGTH = 200
# Printable ASCII only: an id goes into log lines and headers as it came.
FIT = re.compile(rf"[\x20-\x7e]{{1,{MAX_LENGTH}}}")


def request_id(given: bytes | None) -> str:
    """The caller's id when it is 1 to 200 printable ASCII characters, else a new one."""
    if given is not None:
        text = given.decode("latin-1")
        if FIT.fullmatch(text):
            return text
    return uuid.uuid4().hex
