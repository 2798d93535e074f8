"""A served portal killed with SIGKILL under disclosure load keeps every receipt it handed out.

``test_ledger_crash`` kills a process appending to the ledger library directly; this one goes
through the HTTP API, as an employer would: ``esp-portal serve --workers 2`` on PostgreSQL, many
concurrent staff reads (each a gated disclosure whose response carries its ledger receipt), then
SIGKILL to the server's whole process group while requests are in flight. After a restart:

* every receipt a client was given is in the ledger at its index, with the same leaf hash;
* the ledger has no gap (indices 0..size-1) and the next disclosure takes index ``size``;
* ``esp-portal ledger verify`` exits 0.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger import Ledger
from ledger.note import load_or_create_signing_key
from ledger.store import LedgerStore
from portal.accounts.passwords import PasswordHashing
from portal.accounts.services import AccountService
from portal.accounts.tables import Role
from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.auth.identity import Identity
from portal.consent.schemas import ConsentGive
from portal.consent.services import ConsentService
from portal.organisations.tables import Employment, Organisation, OrganisationKind, Volunteer
from portal.settings import Settings
from portal.vocabulary import notices
from tests.conftest import ROOT, TestDatabase, run_cli
from tests.support.cli import cli_env, free_port, wait_until_up

PURPOSE = "esp.leave-verification"
PASSWORD = "crash test passphrase 7"
HR_EMAIL = "hr@crash.example"
VOLUNTEERS = 4
CLIENTS = 16
#: Receipts handed out before the kill; the load keeps going while the kill lands.
KILL_AFTER = 100


async def _seed(settings: Settings, engine: Any) -> list[str]:
    """An employer with an agreement and an HR user; volunteers who work there and consent."""
    signer = load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)
    ledger = Ledger(engine, signer, settings.ledger_origin)
    await ledger.start()
    try:
        employer = Organisation(name="Crash Employer", kind=OrganisationKind.EMPLOYER.value)
        await employer.save()
        employer_id = str(employer.id)
        today = dt.datetime.now(dt.UTC).date()
        await AgreementService(ledger).record(
            AgreementCreate(
                employer_id=uuid.UUID(employer_id),
                version=1,
                purposes={PURPOSE: ["identity", "status"]},
                starts_on=today - dt.timedelta(days=10),
                ends_on=today + dt.timedelta(days=300),
                signed_by="Crash Signatory",
            ),
            recorded_by="crash-test",
            request_id="crash-test",
            channel="cli",
        )
        accounts = AccountService(settings, PasswordHashing(settings))
        volunteer_ids = []
        for n in range(VOLUNTEERS):
            volunteer = Volunteer(display_name=f"Crash Volunteer {n}", email=f"v{n}@crash.example")
            await volunteer.save()
            volunteer_id = str(volunteer.id)
            await Employment(
                volunteer=volunteer_id,
                employer=employer_id,
                starts_on=today - dt.timedelta(days=100),
            ).save()
            user = await accounts.create_user(
                f"v{n}@crash.example", Role.VOLUNTEER, volunteer_id=volunteer_id, password=PASSWORD
            )
            await ConsentService(ledger).give(
                Identity(user.id, Role.VOLUNTEER, "session", volunteer_id=volunteer_id),
                ConsentGive(
                    employer_id=uuid.UUID(employer_id),
                    purpose=PURPOSE,
                    categories=["identity", "status"],
                    notice_version=notices().current().version,
                ),
                request_id="crash-test",
                channel="web",
            )
            volunteer_ids.append(volunteer_id)
        await accounts.create_user(
            HR_EMAIL, Role.EMPLOYER, organisation_id=employer_id, password=PASSWORD
        )
        return volunteer_ids
    finally:
        await ledger.close()


def _start(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    # A session of its own, so SIGKILL reaches uvicorn's supervisor and both workers at once.
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.cli.main", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    wait_until_up(f"http://127.0.0.1:{port}", process)
    return process


async def _signed_in(client: httpx.AsyncClient) -> None:
    login = await client.post("/api/auth/login", json={"email": HR_EMAIL, "password": PASSWORD})
    assert login.status_code == 200, login.text
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]


async def _load_then_kill(
    base: str, volunteer_ids: list[str], server: subprocess.Popen[str]
) -> tuple[list[dict[str, Any]], int]:
    """Staff reads from ``CLIENTS`` concurrent callers; SIGKILL once ``KILL_AFTER`` succeeded."""
    receipts: list[dict[str, Any]] = []
    failed = 0
    killed = asyncio.Event()
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        await _signed_in(client)

        async def caller(n: int) -> None:
            nonlocal failed
            i = n
            while True:
                volunteer_id = volunteer_ids[i % len(volunteer_ids)]
                i += 1
                try:
                    response = await client.get(
                        f"/api/employer/staff/{volunteer_id}", params={"purpose": PURPOSE}
                    )
                except httpx.HTTPError:
                    failed += 1
                    return  # the server is gone: this caller stops
                if response.status_code != 200:
                    # Nothing but a complete 200 carries a receipt; before the kill, none may fail.
                    assert killed.is_set(), response.text
                    failed += 1
                    return
                receipts.append(response.json()["receipt"])
                if len(receipts) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    os.killpg(server.pid, signal.SIGKILL)

        await asyncio.gather(*(caller(n) for n in range(CLIENTS)))
    return receipts, failed


@pytest.mark.slow
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_sigkill_of_a_served_portal_keeps_every_receipt_it_gave(
    database: TestDatabase, settings: Settings, engine: Any, tmp_path: Path
) -> None:
    volunteer_ids = await _seed(settings, engine)
    env = cli_env(database, settings.data_dir, ESP_LOGIN_RATE_LIMIT_PER_MINUTE="10000")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(env, port)
    try:
        receipts, failed = await _load_then_kill(base, volunteer_ids, server)
        assert server.wait(timeout=30) == -signal.SIGKILL
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    assert len(receipts) >= KILL_AFTER
    assert len({r["index"] for r in receipts}) == len(receipts), "one index per receipt"

    store = LedgerStore(engine)
    size = (await store.head()).size
    stored = {e.index: e for e in await store.entries_between(0, size + 100)}
    assert sorted(stored) == list(range(size)), "no gap and nothing beyond the head"
    for receipt in receipts:
        entry = stored.get(receipt["index"])
        assert entry is not None, f"receipt {receipt['index']} lost"
        assert base64.b64encode(entry.leaf_hash).decode() == receipt["leaf_hash"]

    server = _start(env, port)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            await _signed_in(client)
            after = await client.get(
                f"/api/employer/staff/{volunteer_ids[0]}", params={"purpose": PURPOSE}
            )
            assert after.status_code == 200, after.text
            assert after.json()["receipt"]["index"] == size, "the next entry follows the head"
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=30)
    verified = run_cli("ledger", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    print(f"receipts {len(receipts)}, failed in flight {failed}, ledger size {size}")
