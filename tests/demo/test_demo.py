"""``esp-portal demo``: realistic, deterministic data, loaded once; every role signs in."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ledger import merkle
from ledger.checkpoint import open_checkpoint
from ledger.note import NoteVerifier
from ledger.tables import LedgerEntry, LedgerHead
from portal.accounts.tables import UserAccount
from portal.agreements.tables import DataSharingAgreement
from portal.applications.stages import Stage
from portal.applications.tables import Milestone
from portal.consent.tables import ConsentEvent, WithdrawalNotice
from portal.demo import data
from portal.organisations.tables import Employment, Organisation, Volunteer
from portal.settings import Settings
from portal.vocabulary import notices, vocabulary
from tests.conftest import TestDatabase, run_cli
from tests.support.auth import in_app, serve, sign_in, sign_out
from tests.support.cli import cli_env, run_cli_in_process

LOGIN_BLOCK = re.compile(
    r"^- role: (?P<role>\w+).*\n"
    r"  email: +(?P<email>\S+)\n"
    r"  password: +(?P<password>\S+)\n"
    r"(?:  totp secret: +(?P<secret>[A-Z2-7]+)\n)?",
    re.MULTILINE,
)


def _logins(stdout: str) -> list[dict[str, str]]:
    return [m.groupdict() for m in LOGIN_BLOCK.finditer(stdout)]


async def _snapshot() -> dict[str, Any]:
    organisations = await Organisation.select().order_by(Organisation.id)
    volunteers = await Volunteer.select().order_by(Volunteer.id)
    employments = await Employment.select().order_by(Employment.id)
    users = await UserAccount.select(UserAccount.id, UserAccount.email, UserAccount.role)
    agreements = await DataSharingAgreement.select().order_by(DataSharingAgreement.id)
    consents = await ConsentEvent.select().order_by(ConsentEvent.id)
    notices = await WithdrawalNotice.select().order_by(WithdrawalNotice.id)
    head = await LedgerHead.select(LedgerHead.size, LedgerHead.root_hash).first()
    return {
        "organisations": organisations,
        "volunteers": volunteers,
        "employments": employments,
        "users": sorted(users, key=lambda u: str(u["id"])),
        "agreements": agreements,
        "consents": consents,
        "withdrawal_notices": notices,
        "ledger_head": head,
        "ledger_entries": await LedgerEntry.count(),
    }


def _agreed(employer_id: str, purpose: str) -> set[str]:
    """The categories the demo agreement of this employer names for ``purpose``."""
    agreement = next(a for a in data.AGREEMENTS if str(a.employer.id) == employer_id)
    return set(agreement.purposes[purpose])


async def _check_sharing(loaded: dict[str, Any]) -> None:
    """Agreements, consents, withdrawals and disclosures are there, each with its ledger entry."""
    agreements = loaded["agreements"]
    employers = {str(o["id"]) for o in loaded["organisations"] if o["kind"] == "employer"}
    others = {
        o["kind"]: str(o["id"])
        for o in loaded["organisations"]
        if o["kind"] in {"police_force", "partner"}
    }
    assert set(others) == {"police_force", "partner"}  # one other force, one partner
    with_agreement = {str(a["employer"]) for a in agreements}
    assert set(others.values()) <= with_agreement  # an information sharing agreement, a contract
    assert len(agreements) == 10 and with_agreement - set(others.values()) < employers
    recorded = await LedgerEntry.select(LedgerEntry.idx, LedgerEntry.kind).where(
        LedgerEntry.idx.is_in([a["ledger_index"] for a in agreements])
    )
    assert len(recorded) == 10 and {r["kind"] for r in recorded} == {"agreement.recorded"}
    consents = loaded["consents"]
    assert sum(c["state"] == "given" for c in consents) >= 50
    assert any(c["state"] == "withdrawn" for c in consents)
    assert {str(c["employer"]) for c in consents} <= with_agreement
    consent_purposes = {p.code for p in vocabulary().purposes if p.consent_required}
    assert {c["purpose"] for c in consents} <= consent_purposes
    assert loaded["withdrawal_notices"]  # a withdrawal of consent an employer's read relied on
    # ... and one the other force's read relied on: it is told too, on its own notices page.
    assert str(data.OTHER_FORCE.id) in {str(n["employer"]) for n in loaded["withdrawal_notices"]}
    # Every demo consent is given (and withdrawn) under the privacy notice in force, which
    # describes every purpose consented to.
    current = notices().current(dt.datetime.now(dt.UTC).date())
    assert {c["notice_version"] for c in consents} == {current.version}
    assert {c["purpose"] for c in consents} <= set(current.purposes)
    demo_volunteers = {
        str(data.demo_id("volunteer", u.volunteer)) for u in data.USERS if u.volunteer is not None
    }
    assert demo_volunteers <= {str(c["volunteer"]) for c in consents}
    disclosures = await LedgerEntry.count().where(LedgerEntry.kind == "disclosure")
    assert 10 <= disclosures <= 100
    kinds = {r["kind"] for r in await LedgerEntry.select(LedgerEntry.kind).distinct()}
    assert kinds >= {"agreement.recorded", "consent.given", "consent.withdrawn", "disclosure"}
    assert loaded["ledger_head"]["size"] == loaded["ledger_entries"] > 0
    # Awards give the recognition category something to release (it had no source before).
    recognition = await LedgerEntry.select(LedgerEntry.body).where(
        (LedgerEntry.kind == "disclosure") & (LedgerEntry.purpose == "esp.recognition")
    )
    assert any("recognition" in json.loads(bytes(r["body"]))["categories"] for r in recognition)
    # Applicants at every step of an application, vetting and medical outcomes only.
    steps = {r["stage"] for r in await Milestone.select(Milestone.stage).distinct()}
    assert steps == {stage.value for stage in Stage}


@pytest.mark.slow
async def test_demo_is_realistic_idempotent_and_every_role_signs_in(
    database: TestDatabase, settings: Settings, tmp_path: Path, engine: Any
) -> None:
    env = cli_env(database, settings.data_dir)
    first = run_cli("demo", env=env)
    assert first.returncode == 0, first.stderr
    loaded = await _snapshot()
    second = run_cli("demo", env=env)
    assert second.returncode == 0, second.stderr
    assert await _snapshot() == loaded  # nothing added, nothing changed, ledger size included
    for line in second.stdout.splitlines():
        if "(added" in line:
            assert "(added 0)" in line, line
    assert re.search(r"^  ledger: +[1-9]\d*  \(added 0\)$", second.stdout, re.MULTILINE)
    assert re.search(r"^  https?://\S+/sign-in$", second.stdout, re.MULTILINE)  # the web
    await _check_sharing(loaded)
    # The check through the same entry point in this process: its answer is the point.
    verified = run_cli_in_process("ledger", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"size {loaded['ledger_entries']}" in verified.stdout

    employers = [o for o in loaded["organisations"] if o["kind"] == "employer"]
    forces = [o for o in loaded["organisations"] if o["kind"] == "force"]
    assert len(forces) == 1 and len(employers) >= 8
    assert len({o["sector"] for o in employers}) >= 8
    assert {o["size_band"] for o in employers} >= {"micro", "small", "medium", "large"}
    volunteers = loaded["volunteers"]
    assert len(volunteers) >= 60
    assert set(Counter(v["status"] for v in volunteers)) == {
        "applicant",
        "in_training",
        "active",
        "leaver",
    }
    emails = [v["email"] for v in volunteers] + [o["contact_email"] for o in employers]
    emails += [u["email"] for u in loaded["users"]]
    assert all(e.rsplit("@", 1)[1] in {"example.org", "example.com"} for e in emails), emails
    assert all(re.fullmatch(r"07700 900\d{3}", v["phone"]) for v in volunteers)
    assert len({v["subject"] for v in volunteers}) == len(volunteers)
    open_links = Counter(e["volunteer"] for e in loaded["employments"] if e["ends_on"] is None)
    assert max(open_links.values()) >= 2  # some volunteers have two employers at once
    assert any(e["ends_on"] is not None for e in loaded["employments"])
    roles = {"coordinator", "dpo", "employer", "police_force", "partner", "volunteer"}
    assert {u["role"] for u in loaded["users"]} == roles

    logins = _logins(second.stdout)
    assert _logins(first.stdout) == logins  # same accounts, same TOTP secrets
    assert {login["role"] for login in logins} == roles
    for login in logins:
        assert bool(login["secret"]) == (login["role"] in {"coordinator", "dpo"}), login
    assert "pyotp.TOTP(" in second.stdout

    async with serve(settings) as client:
        for login in logins:
            body = await sign_in(client, login["email"], login["password"], login["secret"])
            assert body["user"]["role"] == login["role"]
            if login["role"] == "coordinator":
                listing = await client.get("/api/coordinator/volunteers", params={"limit": 1})
                assert listing.status_code == 200 and listing.json()["total"] == len(volunteers)
            if login["role"] == "employer":
                await _employer_sees_staff(client, body["user"]["organisation_id"])
            if login["role"] in {"police_force", "partner"}:
                await _recipient_sees_people(client, login["role"])
            if login["role"] == "volunteer":
                await _volunteer_sees_sharing(client)
            if login["role"] == "dpo":
                await _dpo_sees_ledger(client)
            await sign_out(client)

        await _public_ledger_verifies(client, settings)

        async def sessions() -> int:
            from portal.accounts.tables import UserSession

            return int(await UserSession.count())

        assert await in_app(client, sessions) == len(logins)


async def _employer_sees_staff(client: Any, organisation_id: str) -> None:
    """Staff who consented, through the gate, projected to what the agreement and consent allow."""
    purpose = data.LEAVE
    response = await client.get("/api/employer/staff", params={"purpose": purpose})
    assert response.status_code == 200, response.text
    staff = response.json()["items"]
    assert staff, organisation_id
    for member in staff:
        assert member["purpose"] == purpose
        assert set(member["categories"]) <= _agreed(organisation_id, purpose)
        assert member["receipt"]["inclusion_path"] is not None
    summaries = [m["data"]["hours_summary"] for m in staff if "hours.summary" in m["categories"]]
    assert summaries and any(s["total_hours"] > 0 for s in summaries)  # real hours, this year


async def _recipient_sees_people(client: Any, role: str) -> None:
    """The other force sees the specials transferring and the applicants who consented; the
    partner sees the applicants it assesses: each through the gate, with a receipt."""
    path, purpose = {
        "police_force": ("/api/police-force/people", data.TRANSFER),
        "partner": ("/api/partner/applicants", data.PROCESSING),
    }[role]
    response = await client.get(path, params={"purpose": purpose})
    assert response.status_code == 200, response.text
    people = response.json()["items"]
    linked = {
        "police_force": data.TRANSFERS + data.MULTI_FORCE_APPLICANTS,
        "partner": data.ASSESSED,
    }[role]
    assert people and {p["volunteer_id"] for p in people} <= {
        str(data.demo_id("volunteer", n)) for n in linked
    }
    assert all(p["receipt"]["inclusion_path"] is not None for p in people)


async def _public_ledger_verifies(client: Any, settings: Settings) -> None:
    """Anyone: the demo's checkpoint opens with the published key, and proofs check against it."""
    key = (await client.get("/ledger/key")).text.strip()
    note = (await client.get("/ledger/checkpoint")).text
    checkpoint = open_checkpoint(note, NoteVerifier.from_key(key), settings.ledger_origin)
    size, root = checkpoint.size, checkpoint.root_hash
    assert size > 50
    leaves = {}
    for index in (0, size // 2, size - 1):
        proof = await client.get(
            "/ledger/proof/inclusion", params={"index": index, "tree_size": size}
        )
        assert proof.status_code == 200, proof.text
        body = proof.json()
        leaf = base64.b64decode(body["leaf_hash"])
        path = [base64.b64decode(h) for h in body["inclusion_path"]]
        assert merkle.verify_inclusion(leaf, index, size, path, root)
        leaves[index] = leaf
    consistency = await client.get("/ledger/proof/consistency", params={"first": 1, "second": size})
    assert consistency.status_code == 200, consistency.text
    path = [base64.b64decode(h) for h in consistency.json()["consistency_path"]]
    assert merkle.verify_consistency(1, size, path, leaves[0], root)


async def _volunteer_sees_sharing(client: Any) -> None:
    consents = await client.get("/api/volunteer/consents")
    assert consents.status_code == 200, consents.text
    assert any(c["state"] == "given" for c in consents.json()["current"])
    disclosures = await client.get("/api/volunteer/disclosures")
    assert disclosures.status_code == 200, disclosures.text
    assert disclosures.json()["items"]  # the demo employer read them


async def _dpo_sees_ledger(client: Any) -> None:
    ledger = await client.get("/api/dpo/ledger", params={"kind": "disclosure"})
    assert ledger.status_code == 200, ledger.text
    assert ledger.json()["items"]
    ending = await client.get("/api/dpo/agreements/ending", params={"within_days": 30})
    assert ending.status_code == 200, ending.text
    assert [e["agreement"]["employer_id"] for e in ending.json()] == [
        str(data.demo_id("organisation", "law"))
    ]


@pytest.mark.slow
async def test_demo_refuses_a_database_with_real_accounts(
    database: TestDatabase, tmp_path: Path, engine: Any
) -> None:
    env = cli_env(database, tmp_path)
    added = run_cli_in_process(
        "user",
        "add",
        "real.dpo@example.org",
        "--role",
        "dpo",
        "--password-stdin",
        env=env,
        input="a real and private passphrase",
    )
    assert added.returncode == 0, added.stderr
    refused = run_cli("demo", env=env)
    assert refused.returncode != 0
    assert "published passwords" in refused.stderr and "Traceback" not in refused.stderr
    assert await Volunteer.count() == 0
    allowed = run_cli("demo", "--allow-existing-accounts", env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert await Volunteer.count() >= 60
