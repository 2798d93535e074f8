"""A local stand-in for the GOV.UK Notify API, for tests only: the real service cannot be reached
from here. It checks each request the way Notify's API documentation describes it and keeps it:

- ``POST /v2/notifications/email`` or ``/v2/notifications/sms`` with a JSON body;
- ``Authorization: Bearer <JWT>``: HS256, signed with the API key's secret, ``iss`` the service
  id, ``iat`` within 30 seconds of now;
- ``email_address`` / ``phone_number``, ``template_id``, optional ``personalisation`` (an object)
  and ``reference``.

A bad request gets the status and error body Notify would send (400 / 403); ``fail_next``
answers the next request with a chosen status, to test retries.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

SERVICE_ID = str(uuid.UUID("11111111-2222-4333-8444-555555555555"))
SECRET = str(uuid.UUID("66666666-7777-4888-9999-aaaaaaaaaaaa"))
API_KEY = f"esp_test_key-{SERVICE_ID}-{SECRET}"


@dataclass
class NotifyLog:
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)


def _problem(status: int, error: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"status_code": status, "errors": [{"error": error, "message": message}]}


def check(path: str, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
    """Notify's answer to one request: (status, JSON body)."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return _problem(401, "AuthError", "Unauthorized: authentication token must be provided")
    try:
        claims = jwt.decode(auth[7:], SECRET, algorithms=["HS256"], options={"verify_iat": False})
    except jwt.InvalidTokenError:
        return _problem(403, "AuthError", "Invalid token: signature, api token not found")
    if claims.get("iss") != SERVICE_ID or abs(time.time() - int(claims.get("iat", 0))) > 30:
        return _problem(403, "AuthError", "Invalid token: iss or iat")
    kind = {"/v2/notifications/email": "email", "/v2/notifications/sms": "sms"}.get(path)
    if kind is None:
        return _problem(404, "NotFound", "not found")
    if not headers.get("Content-Type", "").startswith("application/json"):
        return _problem(400, "BadRequestError", "Content-Type must be application/json")
    body = json.loads(raw)
    to = "email_address" if kind == "email" else "phone_number"
    if not isinstance(body.get(to), str) or not body[to]:
        return _problem(400, "ValidationError", f"{to} is a required property")
    try:
        uuid.UUID(str(body.get("template_id")))
    except ValueError:
        return _problem(400, "ValidationError", "template_id is not a valid UUID")
    if not isinstance(body.get("personalisation", {}), dict):
        return _problem(400, "ValidationError", "personalisation is not of type object")
    allowed = {to, "template_id", "personalisation", "reference", "email_reply_to_id"}
    if kind == "sms":
        allowed = (allowed - {"email_reply_to_id"}) | {"sms_sender_id"}
    extra = set(body) - allowed
    if extra:
        return _problem(400, "ValidationError", f"Additional properties are not allowed {extra}")
    notification = str(uuid.uuid4())
    return 201, {
        "id": notification,
        "reference": body.get("reference"),
        "content": {"body": body.get("personalisation", {}).get("body", "")},
        "template": {"id": body["template_id"], "version": 1, "uri": "/v2/template/x"},
        "uri": f"/v2/notifications/{notification}",
        "kind": kind,
        "body": body,
    }


def running_notify() -> Iterator[tuple[str, NotifyLog]]:
    """Serve the stand-in on a loopback port; yields (base URL, what it received)."""
    log = NotifyLog()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if log.fail_next:
                status, answer = _problem(log.fail_next.pop(0), "Exception", "try later")
            else:
                status, answer = check(self.path, self.headers, raw)
            if status == 201:
                log.received.append(answer)
            else:
                log.rejected.append(answer["errors"][0]["message"])
            data = json.dumps({k: v for k, v in answer.items() if k not in ("kind", "body")})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data.encode())

        def log_message(self, *args: Any) -> None:  # keep test output (and addresses) quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()
