"""Rule 7: no personal data in logs, checked on everything the real processes write.

The real ``esp-portal demo`` loads its people, then the real ``esp-portal serve`` (uvicorn, JSON
logs at the production level) answers realistic flows of every role: failed and successful
sign-ins, consent given and withdrawn, employer reads through the gate, the DPO's subject
report, the coordinator adding a person, bad input that names fields, and web pages. Every line
both processes wrote to their log stream is then searched for every demo volunteer's name,
email address and phone number, every demo account's email, and the person the coordinator
added. The demo's own report on stdout (which prints sign-in details on purpose) is not a log
and is not searched.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from portal.demo import data
from tests.conftest import ROOT, TestDatabase, run_cli
from tests.demo.test_demo import _logins
from tests.support.cli import cli_env, free_port, wait_until_up

NEW_PERSON = {
    "display_name": "Rosalind Featherstonehaugh",
    "email": "rosalind.featherstonehaugh@example.org",
    "phone": "07700 900777",
}


@contextlib.contextmanager
def _served(env: dict[str, str], log_path: Path) -> Iterator[str]:
    port = free_port()
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.cli.main", "serve", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, process)
            yield base
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def _client(base: str, login: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=20) as client:
        body: dict[str, Any] = {"email": login["email"], "password": login["password"]}
        if login.get("secret"):
            body["otp"] = pyotp.TOTP(login["secret"]).now()
        response = client.post("/api/auth/login", json=body)
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        yield client


def _flows(base: str, logins: list[dict[str, str]]) -> None:
    by_role: dict[str, dict[str, str]] = {}
    for login in logins:
        by_role.setdefault(login["role"], login)
    volunteer, employer = by_role["volunteer"], by_role["employer"]

    with httpx.Client(base_url=base, timeout=20) as anonymous:
        wrong = anonymous.post(
            "/api/auth/login", json={"email": volunteer["email"], "password": "not my password!"}
        )
        assert wrong.status_code == 401
        assert anonymous.get("/sign-in").status_code == 200

    with _client(base, volunteer) as client:
        consents = client.get("/api/volunteer/consents")
        assert consents.status_code == 200, consents.text
        current = [c for c in consents.json()["current"] if c["state"] == "given"]
        assert current, consents.json()
        given = current[0]
        withdrawn = client.post(
            "/api/volunteer/consents/withdraw",
            json={"employer_id": given["employer_id"], "purpose": given["purpose"]},
        )
        assert withdrawn.status_code == 200, withdrawn.text
        version = client.get("/api/privacy-notices").json()["current"]["version"]
        again = client.post(
            "/api/volunteer/consents",
            json={
                "employer_id": given["employer_id"],
                "purpose": given["purpose"],
                "categories": [given["category"]],
                "notice_version": version,
            },
        )
        assert again.status_code == 201, again.text
        assert client.get("/api/volunteer/disclosures").status_code == 200
        assert client.get("/volunteer/sharing").status_code == 200

    with _client(base, employer) as client:
        staff = client.get("/api/employer/staff", params={"purpose": "esp.leave-verification"})
        assert staff.status_code == 200, staff.text
        items = staff.json()["items"]
        assert items
        one = client.get(
            f"/api/employer/staff/{items[0]['volunteer_id']}",
            params={"purpose": "esp.leave-verification"},
        )
        assert one.status_code == 200, one.text
        assert client.get("/employer/staff?purpose=esp.leave-verification").status_code == 200

    with _client(base, by_role["dpo"]) as client:
        subject = str(data.volunteers()[0].id)
        report = client.get(f"/api/dpo/subjects/{subject}/report")
        assert report.status_code == 200, report.text
        assert client.get("/api/dpo/ledger", params={"kind": "disclosure"}).status_code == 200
        # The DPO's person search: what is typed (a name, an email address, a typo of a name,
        # nonsense) is never logged, on the API or the page.
        person = data.volunteers()[1]
        for typed in (person.display_name, person.email, person.display_name[::-1]):
            found = client.post("/api/dpo/volunteers/search", json={"q": typed})
            assert found.status_code == 200, found.text
        assert client.post("/api/dpo/volunteers/search", json={"q": "x"}).status_code == 422
        page = client.post(
            "/dpo/search",
            data={"q": person.display_name, "csrf_token": client.headers["X-CSRF-Token"]},
        )
        assert page.status_code == 200 and person.display_name in page.text, page.text[:300]

    with _client(base, by_role["coordinator"]) as client:
        bad = client.post("/api/coordinator/volunteers", json={**NEW_PERSON, "email": "nope"})
        assert bad.status_code == 400, bad.text
        created = client.post("/api/coordinator/volunteers", json=NEW_PERSON)
        assert created.status_code == 201, created.text
        listed = client.get("/api/coordinator/volunteers")
        assert listed.status_code == 200


def _personal_values() -> set[str]:
    values = set(NEW_PERSON.values())
    for person in data.volunteers():
        values |= {person.display_name, person.email, person.phone}
        values.add(person.phone.replace(" ", ""))
    values |= {user.email for user in data.USERS}
    return values


@pytest.mark.slow
def test_demo_and_served_flows_log_no_personal_data(database: TestDatabase, tmp_path: Path) -> None:
    env = cli_env(database, tmp_path / "data", ESP_LOG_LEVEL="info")
    demo = run_cli("demo", env=env)
    assert demo.returncode == 0, demo.stderr
    logins = _logins(demo.stdout)
    assert {login["role"] for login in logins} == {"volunteer", "employer", "dpo", "coordinator"}

    serve_log = tmp_path / "serve.log"
    with _served(env, serve_log) as base:
        _flows(base, logins)
    logged = demo.stderr + serve_log.read_text(encoding="utf-8")

    events = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    requests = [e for e in events if e.get("event") == "http.request"]
    assert len(requests) >= 15, "the flows above must have been logged to be checked"
    assert any(e.get("event") == "auth.login_failed" or e.get("status") == 401 for e in events)
    leaked = sorted(value for value in _personal_values() if value in logged)
    assert leaked == [], f"personal data in the logs: {leaked}"
