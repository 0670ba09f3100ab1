"""Log lines: JSON objects off a terminal, text on one, each with its request's id."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Callable, Iterator

import pytest

from api import logs

Configure = Callable[[bool], io.StringIO]


@pytest.fixture
def configure() -> Iterator[Configure]:
    """Configures logging as the service does, into a string; the root restored afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def into_string(json: bool) -> io.StringIO:
        written = io.StringIO()
        config = logs.logging_config(json)
        config["handlers"]["stderr"]["stream"] = written
        logging.config.dictConfig(config)
        return written

    yield into_string
    root.handlers[:] = handlers
    root.setLevel(level)


def fail() -> None:
    raise ValueError("boom")


def test_each_json_line_is_an_object_with_the_request_id(configure: Configure) -> None:
    written = configure(True)
    log = logging.getLogger("clientes.test")
    reset = logs.request_id.set("req-42")
    try:
        log.info("hello %s", "ana", extra={"status": 201})
        try:
            fail()
        except ValueError:
            log.exception("failed")
    finally:
        logs.request_id.reset(reset)
    log.warning("outside any request")
    first, second, third = (json.loads(line) for line in written.getvalue().splitlines())
    assert first | {"time": "", "pid": 0} == {
        "time": "",
        "level": "info",
        "logger": "clientes.test",
        "pid": 0,
        "message": "hello ana",
        "request_id": "req-42",
        "status": 201,
    }
    assert second["request_id"] == "req-42"
    assert "ValueError: boom" in second["exception"]
    assert "request_id" not in third


def test_text_lines_carry_the_request_id_too(configure: Configure) -> None:
    written = configure(False)
    logging.getLogger("clientes.test").info("hello")
    assert written.getvalue().rstrip().endswith("INFO clientes.test [-] hello")


def test_text_lines_escape_control_characters_so_no_line_is_forged(configure: Configure) -> None:
    written = configure(False)
    logging.getLogger("clientes.test").info("GET %s 404", "/x\r\n2026-12-07 INFO forged\x1b[2J")
    (line,) = written.getvalue().splitlines()
    assert line.endswith("GET /x\\x0d\\x0a2026-12-07 INFO forged\\x1b[2J 404")


def test_json_unless_standard_error_is_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert logs.logging_config()["formatters"]["clientes"] == {"()": logs.JSONFormatter}
