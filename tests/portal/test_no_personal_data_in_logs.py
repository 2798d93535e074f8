"""Rule 7: no personal data in logs, checked on everything the real processes write.

The real ``esp-portal demo`` loads its people, then the real ``esp-portal serve`` (uvicorn, JSON
logs at the production level) answers realistic flows of every role: failed and successful
sign-ins, consent given and withdrawn, employer reads through the gate, the DPO's subject
report, the coordinator adding a person, bad input that names fields, and web pages. Every line
both processes wrote to their log stream is then searched for every demo volunteer's name,
email address and phone number, every demo account's email, and the person the coordinator
added. The demo's own report on stdout (which prints sign-in details on purpose) is not a log
and is not searched.

Messages too: the demo delivers its messages (file transport), the served app runs its delivery
worker in process while a volunteer asks for a password reset, and the ``messages`` commands
(worker, digest, purge) run after it. No address, number or message wording may be logged: every
line of every delivered message's body is searched for as well.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from portal.demo import data
from tests.conftest import ROOT, TestDatabase, run_cli
from tests.demo.test_demo import _logins
from tests.support.cli import cli_env, free_port, stop_served, wait_until_up

NEW_PERSON = {
    "display_name": "Rosalind Featherstonehaugh",
    "email": "rosalind.featherstonehaugh@example.org",
    "phone": "07700 900777",
}


def _stdout_path(log_path: Path) -> Path:
    """Where the served process's standard output goes, beside its log (standard error)."""
    return log_path.with_suffix(".stdout")


@contextlib.contextmanager
def _served(env: dict[str, str], log_path: Path) -> Iterator[str]:
    port = free_port()
    # stdout and stderr to files of their own: the two streams are buffered separately (stdout
    # by block when it is not a terminal), so one shared file can splice a line of one into a
    # line of the other, and a spliced JSON line would read as malformed rather than as a leak.
    with (
        log_path.open("w", encoding="utf-8") as log,
        _stdout_path(log_path).open("w", encoding="utf-8") as out,
    ):
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.cli.main", "serve", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=log,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, process)
            yield base
        finally:
            stop_served(process, timeout=20)


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

    # Another force and a partner read their people through the gate, on the API and a page.
    for role, path, purpose, page in (
        ("police_force", "/api/police-force/people", data.TRANSFER, "/police-force/people"),
        ("partner", "/api/partner/applicants", data.PROCESSING, "/partner/applicants"),
    ):
        with _client(base, by_role[role]) as client:
            people = client.get(path, params={"purpose": purpose})
            assert people.status_code == 200 and people.json()["items"], people.text
            first = people.json()["items"][0]["volunteer_id"]
            assert client.get(f"{path}/{first}", params={"purpose": purpose}).status_code == 200
            assert client.get(page, params={"purpose": purpose}).status_code == 200

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

    with httpx.Client(base_url=base, timeout=20) as anonymous:
        form = anonymous.get("/forgot-password")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text
        asked = anonymous.post(
            "/forgot-password", data={"email": volunteer["email"], "csrf_token": token.group(1)}
        )
        assert asked.status_code == 200, asked.text

    with _client(base, by_role["coordinator"]) as client:
        bad = client.post("/api/coordinator/volunteers", json={**NEW_PERSON, "email": "nope"})
        assert bad.status_code == 400, bad.text
        created = client.post("/api/coordinator/volunteers", json=NEW_PERSON)
        assert created.status_code == 201, created.text
        listed = client.get("/api/coordinator/volunteers")
        assert listed.status_code == 200


def _message_lines(folder: Path) -> set[str]:
    """Every line of wording of every delivered message (headers and markup left out)."""
    lines: set[str] = set()
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8", errors="replace")
        body = text.split("\n\n", 1)[-1]
        lines |= {
            line.strip()
            for line in body.splitlines()
            if len(line.strip()) >= 25 and not line.lstrip().startswith(("<", "--", "Content-"))
        }
    return lines


def _personal_values() -> set[str]:
    values = set(NEW_PERSON.values())
    for person in data.volunteers():
        values |= {person.display_name, person.email, person.phone}
        values.add(person.phone.replace(" ", ""))
    values |= {user.email for user in data.USERS}
    return values


@pytest.mark.slow
def test_demo_and_served_flows_log_no_personal_data(database: TestDatabase, tmp_path: Path) -> None:
    env = cli_env(
        database,
        tmp_path / "data",
        ESP_LOG_LEVEL="info",
        ESP_MESSAGES_IN_PROCESS="true",
        ESP_MESSAGES_POLL_SECONDS="0.2",
    )
    demo = run_cli("demo", env=env)
    assert demo.returncode == 0, demo.stderr
    logins = _logins(demo.stdout)
    assert {login["role"] for login in logins} == {
        "volunteer",
        "employer",
        "police_force",
        "partner",
        "dpo",
        "coordinator",
    }

    serve_log = tmp_path / "serve.log"
    outbox = tmp_path / "data" / "outbox-files"
    with _served(env, serve_log) as base:
        before = len(list(outbox.iterdir()))
        _flows(base, logins)
        deadline = time.monotonic() + 30
        while len(list(outbox.iterdir())) == before:  # the reset email, sent in process
            assert time.monotonic() < deadline, "the in-process worker sent nothing"
            time.sleep(0.2)
    today = dt.date.today().isoformat()
    commands = [
        run_cli("messages", *args, env=env)
        for args in (["digest", "--day", today], ["worker", "--once"], ["purge"])
    ]
    commands.append(run_cli("retention", "run", env=env))  # a dry run: counts and ids only
    assert all(c.returncode == 0 for c in commands), [c.stderr for c in commands]
    logged = demo.stderr + serve_log.read_text(encoding="utf-8")
    logged += _stdout_path(serve_log).read_text(encoding="utf-8")
    logged += "".join(c.stderr + c.stdout for c in commands)

    events = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    requests = [e for e in events if e.get("event") == "http.request"]
    assert len(requests) >= 15, "the flows above must have been logged to be checked"
    assert any(e.get("event") == "auth.login_failed" or e.get("status") == 401 for e in events)
    assert sum(e.get("event") == "message.delivery" for e in events) >= 10
    leaked = sorted(value for value in _personal_values() if value in logged)
    assert leaked == [], f"personal data in the logs: {leaked}"
    wording = _message_lines(outbox)
    assert len(wording) >= 10, "the messages must have been delivered to be checked"
    said = sorted(line for line in wording if line in logged)
    assert said == [], f"message wording in the logs: {said}"
