"""The proof that erasure works: a person with everything the portal can hold about them is
erased, then every column of every table is searched for them (the schema is asked which tables
exist), the ledger still verifies, receipts and the evidence bundle taken before still verify,
the DPO's search cannot find them, and nobody else's rows changed. Both databases.

The person is the demo's (real services wrote their consents, duties, leave, messages,
milestones and awards), topped up here with an objection, a refused request naming their id, a
DPO search and an Art. 15 report, so each kind of trace is there before it must be gone.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from ledger import merkle
from ledger.checkpoint import open_checkpoint
from ledger.note import NoteVerifier
from ledger.tables import LedgerEntry
from portal.accounts.tables import Role, UserAccount
from portal.consent.objections import ObjectionService
from portal.erasure.service import erase_person
from portal.erasure.tables import ErasureRecord
from portal.errors import Conflict
from portal.organisations.tables import Employment, Organisation, OrganisationKind, Volunteer
from portal.settings import Settings
from tests.conftest import TestDatabase, make_settings, run_cli
from tests.support.auth import create_user, in_app, serve, sign_in_as, sign_out
from tests.support.cli import cli_env
from tests.support.erasure_scan import LEDGER_TABLES, all_rows, occurrences

SEARCH = "/api/dpo/volunteers/search"
PM = "esp.programme-management"
#: Tables with a ``volunteer`` column whose rows about the person count towards picking them.
_RICH = (
    "consent_event",
    "duty_record",
    "leave_request",
    "award",
    "application_milestone",
    "withdrawal_notice",
    "volunteer_status_change",
    "user_account",
)


async def _richest() -> dict[str, Any]:
    """The demo volunteer with rows in the most kinds of table (then the most rows)."""
    best: tuple[int, int, str] | None = None
    counts: dict[str, dict[str, int]] = {}
    for table in _RICH:
        rows = await Volunteer.raw(
            f"SELECT volunteer AS v, COUNT(*) AS n FROM {table} "
            "WHERE volunteer IS NOT NULL GROUP BY volunteer"
        )
        for row in rows:
            counts.setdefault(str(row["v"]), {})[table] = int(row["n"])
    for vid, per in counts.items():
        score = (len(per), sum(per.values()), vid)
        best = score if best is None or score > best else best
    assert best is not None
    row = await Volunteer.select().where(Volunteer.id == best[2]).first()
    assert row is not None
    return {**row, "kinds": counts[best[2]]}


async def _ledger_snapshot(database: TestDatabase) -> dict[str, Any]:
    rows = await all_rows(database)
    return {
        table: sorted(map(repr, rows.get(table, []))) for table in LEDGER_TABLES - {"ledger_head"}
    }


def _linked(rows: dict[str, Any], vid: str, users: list[str]) -> set[str]:
    """The person's id, account ids, and the ids of rows of theirs that others' rows (messages
    to their employer about their leave, say) are keyed by."""
    linked = {vid, *users}
    for table, owner in (("leave_request", "volunteer"), ("withdrawal_notice", "volunteer")):
        for columns, row in rows.get(table, []):
            if str(row[columns.index(owner)]) == vid:
                linked.add(str(row[columns.index("id")]))
    for columns, row in rows.get("invitation", []):
        if str(row[columns.index("user")]) in users:
            linked.add(str(row[columns.index("id")]))
    return linked


def _others(rows: dict[str, Any], linked: set[str]) -> dict[str, list[str]]:
    """Every row of every table with a ``volunteer`` column that is not about the person."""
    kept: dict[str, list[str]] = {}
    for table, table_rows in rows.items():
        for columns, row in table_rows:
            if "volunteer" not in columns:
                continue
            text = repr(row)
            if any(key in text for key in linked):
                continue
            kept.setdefault(table, []).append(text)
    return {t: sorted(v) for t, v in kept.items()}


async def _receipt(client: AsyncTestClient[Any], index: int, size: int) -> dict[str, Any]:
    entry = (await client.get(f"/ledger/entries/{index}")).json()
    proof = (await client.get(f"/ledger/proof/inclusion?index={index}&tree_size={size}")).json()
    return {"entry": entry, "proof": proof}


def _root(note: str, key: str, origin: str) -> tuple[int, bytes]:
    checkpoint = open_checkpoint(note, NoteVerifier.from_key(key), origin)
    return checkpoint.size, checkpoint.root_hash


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


async def _search_items(client: AsyncTestClient[Any], q: str) -> list[dict[str, Any]]:
    response = await client.post(SEARCH, json={"q": q})
    if response.status_code == 400:
        return []  # not a query the search accepts: it finds no one either
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_erasure_leaves_nothing_linkable_and_the_ledger_intact(
    database: TestDatabase, tmp_path: Path, owner_sql: Any
) -> None:
    data_dir = tmp_path / "data"
    settings: Settings = make_settings(database, data_dir)
    env = cli_env(database, data_dir)
    demo = run_cli("demo", env=env)
    assert demo.returncode == 0, demo.stderr

    async with serve(settings) as client:
        app_ledger = client.app.state.ledger
        person = await in_app(client, _richest)
        vid, subject = str(person["id"]), str(person["subject"])
        assert {"consent_event", "duty_record", "user_account"} <= set(person["kinds"]), person
        users = [
            str(u["id"])
            for u in await in_app(
                client,
                lambda: UserAccount.select(UserAccount.id).where(UserAccount.volunteer == vid),
            )
        ]
        theirs = {
            str(e["employer"])
            for e in await in_app(
                client, lambda: Employment.select().where(Employment.volunteer == vid)
            )
        }
        employers = await in_app(
            client,
            lambda: Organisation.select(Organisation.id).where(
                Organisation.kind == OrganisationKind.EMPLOYER.value
            ),
        )
        stranger = next(str(o["id"]) for o in employers if str(o["id"]) not in theirs)
        dpo = await in_app(
            client, lambda: create_user(settings, "dpo.erasure@example.org", Role.DPO)
        )
        staff = await in_app(
            client,
            lambda: create_user(
                settings,
                "hr.erasure@example.org",
                Role.EMPLOYER,
                organisation_id=stranger,
            ),
        )
        # An objection, with its ledger entry and the staff message it causes.
        await in_app(
            client,
            lambda: ObjectionService(app_ledger, settings).raise_objection(
                vid, users[0], PM, "My reasons, in my words.", request_id="erasure-test"
            ),
        )
        # A refused request that names the person's id (an employer they do not work for).
        await sign_in_as(client, staff)
        refused = await client.get(f"/api/employer/staff/{vid}?purpose={PM}")
        assert refused.status_code == 404, refused.text
        await sign_out(client)
        # The DPO finds them (ledgered as dpo.audit) and opens their Art. 15 report.
        await sign_in_as(client, dpo)
        assert [i["volunteer_id"] for i in await _search_items(client, person["display_name"])][
            :1
        ] == [vid]
        assert (await client.get(f"/api/dpo/subjects/{vid}/report")).status_code == 200

        # What the volunteer and the DPO hold before the erasure: receipts and the bundle.
        key = (await client.get("/ledger/key")).text
        old_note = (await client.get("/ledger/checkpoint")).text
        old_size, old_root = _root(old_note, key, settings.ledger_origin)
        indexes = [
            int(r["idx"])
            for r in await in_app(
                client,
                lambda: LedgerEntry.select(LedgerEntry.idx).where(LedgerEntry.subject == subject),
            )
        ]
        assert len(indexes) >= 5
        receipts = [await _receipt(client, i, old_size) for i in indexes]
        bundle_file = tmp_path / "bundle.json"
        bundle = run_cli("ledger", "bundle", subject, env=env)
        assert bundle.returncode == 0, bundle.stderr
        bundle_file.write_text(bundle.stdout, encoding="utf-8")
        ledger_before = await _ledger_snapshot(database)
        rows_before = await all_rows(database)
        needles = {
            "name": person["display_name"],
            "email": person["email"],
            "phone": person["phone"],
            "volunteer id": vid,
            "volunteer id (hex)": uuid.UUID(vid).hex,
            "subject": subject,
            **{f"user id {n}": u for n, u in enumerate(users)},
            **{f"user id {n} (hex)": uuid.UUID(u).hex for n, u in enumerate(users)},
        }
        before = occurrences(rows_before, needles.values())
        # The seeding reached every kind of place the test must then find empty.
        for table in ("objection", "disclosure_refusal", "outbox", "volunteer_name_doc"):
            if table in rows_before:
                assert any(table == place.split(".")[0] for p in before.values() for place in p), (
                    table
                )

        result = await in_app(
            client,
            lambda: erase_person(
                uuid.UUID(vid),
                reason="Art. 17(1)(a): no longer necessary",
                decided_by=uuid.UUID(dpo.id),
                ledger=app_ledger,
                channel="cli",
            ),
        )
        assert result.erased["volunteer"] == 1 and result.erased["consent_event"] >= 1

        # 1. Nothing left that names the person: every column of every table.
        rows_after = await all_rows(database)
        found = occurrences(rows_after, needles.values())
        outside_ledger = {
            needle: sorted(p for p in places if p.split(".")[0] not in LEDGER_TABLES)
            for needle, places in found.items()
        }
        assert {n: p for n, p in outside_ledger.items() if p} == {}
        # The ledger names the pseudonym (that is what it is for) and nothing else of theirs.
        in_ledger = {n for n, places in found.items() if places}
        assert in_ledger <= {subject}, in_ledger

        # 2. Every entry, node, checkpoint and cosignature byte for byte as it was.
        after = await _ledger_snapshot(database)
        for table, old_rows in ledger_before.items():
            assert set(old_rows) <= set(after[table]), table
        for entry_index in indexes:
            assert (
                await in_app(
                    client,
                    lambda i=entry_index: (
                        LedgerEntry.select(LedgerEntry.body).where(LedgerEntry.idx == i).first()
                    ),
                )
            ) is not None
        verify = run_cli("ledger", "verify", env=env)
        assert verify.returncode == 0, verify.stdout + verify.stderr

        # 3. Receipts from before: the entry still hashes to its leaf, the old proof still
        # reaches the old signed root, and the old tree is a prefix of the new one.
        new_note = (await client.get("/ledger/checkpoint")).text
        new_size, new_root = _root(new_note, key, settings.ledger_origin)
        assert new_size > old_size
        consistency = (
            await client.get(f"/ledger/proof/consistency?first={old_size}&second={new_size}")
        ).json()
        assert merkle.verify_consistency(
            old_size,
            new_size,
            [_b64(h) for h in consistency["consistency_path"]],
            old_root,
            new_root,
        )
        for receipt in receipts:
            index = receipt["entry"]["index"]
            now = (await client.get(f"/ledger/entries/{index}")).json()
            assert now["entry"] == receipt["entry"]["entry"]
            leaf = _b64(receipt["proof"]["leaf_hash"])
            assert leaf == _b64(now["leaf_hash"])
            path = [_b64(h) for h in receipt["proof"]["inclusion_path"]]
            assert merkle.verify_inclusion(leaf, index, old_size, path, old_root)
        checked = run_cli(
            "ledger", "verify-bundle", str(bundle_file), "--require-complete", env=env
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr

        # 4. The DPO's search finds no one by any of the person's names or ids (a fuzzy name
        # search still finds other people, never them).
        for query in (person["display_name"], person["email"], vid, subject):
            for item in await _search_items(client, query):
                assert vid != item["volunteer_id"] and subject != item["subject"], query
                assert item["display_name"] != person["display_name"], query
        gone = await client.get(f"/api/dpo/subjects/{vid}/report")
        assert gone.status_code == 404, gone.text

        # 5. Nobody else's rows changed, and the erasure is recorded and ledgered.
        linked = _linked(rows_before, vid, users)
        assert _others(rows_after, linked) == _others(rows_before, linked)
        records = await in_app(client, lambda: ErasureRecord.select())
        assert len(records) == 1 and records[0]["ledger_index"] == result.ledger_index
        assert records[0]["decided_by"] == dpo.id
        entry = (await client.get(f"/ledger/entries/{result.ledger_index}")).json()["entry"]
        assert entry["kind"] == "erasure.recorded" and entry["subject"] == ""
        assert entry["details"] == {"erasure_id": result.erasure_id, "decided_by": dpo.id}
        with pytest.raises(Conflict):
            await in_app(
                client,
                lambda: erase_person(
                    uuid.UUID(vid), reason="again", decided_by=None, ledger=app_ledger
                ),
            )
    # Everything is recorded in the erasure record as counts, never values.
    assert all(isinstance(n, int) for n in json.loads(json.dumps(result.erased)).values())
