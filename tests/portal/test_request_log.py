"""The one ``http.request`` event per request, and the request id (``portal.request_context``).

The request's logger is bound once per logging configuration instead of on every request
(``portal.logging.PerRequestLogger``, issue 19). These tests pin what that must not change: the
event goes to the stream and level of the configuration in force at the time of the request,
even after logging is configured again, and each request gets its own id (or keeps a
well-formed one it sent).
"""

from __future__ import annotations

import io
import json
import re

from portal.app import create_app
from portal.logging import configure_logging
from portal.settings import Settings
from tests.support.served import serve_app


def _events(stream: io.StringIO) -> list[dict[str, object]]:
    return [
        event
        for line in stream.getvalue().splitlines()
        if line.startswith("{") and (event := json.loads(line)).get("event") == "http.request"
    ]


async def test_each_request_is_logged_where_logging_points_now(settings: Settings) -> None:
    app = create_app(settings, configure_logs=False)
    first, second, quiet = io.StringIO(), io.StringIO(), io.StringIO()
    async with serve_app(app) as client:
        configure_logging(settings, stream=first)
        one = await client.get("/health")
        configure_logging(settings, stream=second)
        two = await client.get("/health", headers={"X-Request-ID": "caller-chosen-id-42"})
        configure_logging(settings.model_copy(update={"log_level": "warning"}), stream=quiet)
        await client.get("/health")
    assert [e["request_id"] for e in _events(first)] == [one.headers["x-request-id"]]
    assert [e["request_id"] for e in _events(second)] == ["caller-chosen-id-42"]
    assert two.headers["x-request-id"] == "caller-chosen-id-42"
    assert _events(quiet) == []  # the new level holds at once
    (event,) = _events(first)
    assert (event["route"], event["status"], event["method"]) == ("/health", 200, "GET")


async def test_every_request_gets_its_own_id(settings: Settings) -> None:
    app = create_app(settings, configure_logs=False)
    async with serve_app(app) as client:
        ids = [(await client.get("/health")).headers["x-request-id"] for _ in range(20)]
        refused = (await client.get("/health", headers={"X-Request-ID": "bad id!"})).headers
    assert len(set(ids)) == 20
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert re.fullmatch(r"[0-9a-f]{32}", refused["x-request-id"])  # a malformed id is replaced
