"""``/ledger`` over HTTP, served by the real app: public proofs that verify, guarded entries."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
import rfc8785

from ledger import DisclosureDraft, merkle
from ledger.checkpoint import open_checkpoint
from ledger.note import NoteVerifier
from portal.accounts.tables import Role
from portal.organisations.tables import Volunteer
from tests.support.auth import create_user, fields_named, in_app, serve, sign_in_as, sign_out

ORIGIN = "esp-portal.local/ledger"


def b64decode(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


@pytest.fixture
async def served(settings, engine) -> AsyncIterator[dict[str, Any]]:
    mine = Volunteer(display_name="Sam Example", email="sam@example.org")
    other = Volunteer(display_name="Kim Example", email="kim@example.org")
    await mine.save()
    await other.save()
    dpo = await create_user(settings, "dpo@example.org", Role.DPO)
    volunteer = await create_user(
        settings, "sam@example.org", Role.VOLUNTEER, volunteer_id=str(mine.id)
    )
    async with serve(settings) as client:
        ledger = client.app.state.ledger
        drafts = [
            DisclosureDraft(
                subject=subject,
                channel="api",
                purpose="esp.recognition",
                lawful_basis="consent",
                recipient_org="org-1",
                categories=["identity"],
                details={"fields": ["display_name"]},
            )
            for subject in (mine.subject, other.subject, mine.subject, other.subject, other.subject)
        ]

        async def fill() -> None:
            await ledger.append(drafts[:2])
            await ledger.append(drafts[2:])

        await in_app(client, fill)
        yield {"client": client, "dpo": dpo, "volunteer": volunteer}


async def test_checkpoint_key_and_proofs_are_public_and_verify(served):
    client = served["client"]
    note = await client.get("/ledger/checkpoint")
    assert note.status_code == 200
    assert note.headers["content-type"] == "text/plain; charset=utf-8"
    key = await client.get("/ledger/key")
    assert key.status_code == 200
    checkpoint = open_checkpoint(note.text, NoteVerifier.from_key(key.text), ORIGIN)
    assert checkpoint.size == 5

    proof = (
        await client.get("/ledger/proof/inclusion", params={"index": 3, "tree_size": 5})
    ).json()
    assert set(proof) == {"leaf_index", "tree_size", "leaf_hash", "inclusion_path"}
    assert (proof["leaf_index"], proof["tree_size"]) == (3, 5)
    path = [b64decode(h) for h in proof["inclusion_path"]]
    assert merkle.verify_inclusion(b64decode(proof["leaf_hash"]), 3, 5, path, checkpoint.root_hash)

    older = (
        await client.get("/ledger/proof/inclusion", params={"index": 0, "tree_size": 2})
    ).json()
    consistency = (
        await client.get("/ledger/proof/consistency", params={"first": 2, "second": 5})
    ).json()
    assert set(consistency) == {"tree_size_1", "tree_size_2", "consistency_path"}
    old_root = merkle.node_hash(
        b64decode(older["leaf_hash"]), b64decode(older["inclusion_path"][0])
    )
    assert merkle.verify_consistency(
        2,
        5,
        [b64decode(h) for h in consistency["consistency_path"]],
        old_root,
        checkpoint.root_hash,
    )


BAD_PARAMETERS = [
    ("/ledger/proof/inclusion", {"index": 5, "tree_size": 5}, "index"),
    ("/ledger/proof/inclusion", {"index": 0, "tree_size": 6}, "tree_size"),
    ("/ledger/proof/inclusion", {"index": -1, "tree_size": 5}, "index"),
    ("/ledger/proof/inclusion", {"index": "x", "tree_size": 5}, "index"),
    ("/ledger/proof/inclusion", {"tree_size": 5}, None),  # missing: Litestar names no field
    ("/ledger/proof/consistency", {"first": 4, "second": 3}, "first"),
    ("/ledger/proof/consistency", {"first": 1, "second": 9}, "second"),
    ("/ledger/proof/consistency", {"first": 1, "second": "2.5"}, "second"),
]


async def test_bad_proof_parameters_are_400_problems_naming_the_field(served):
    for path, params, field in BAD_PARAMETERS:
        response = await served["client"].get(path, params=params)
        assert response.status_code == 400, (params, response.text)
        assert field is None or field in fields_named(response), (params, response.text)


async def test_entries_for_the_dpo_and_for_the_volunteer_it_is_about(served):
    client = served["client"]
    anonymous = await client.get("/ledger/entries/0")
    assert anonymous.status_code == 401

    await sign_in_as(client, served["dpo"])
    for index in range(5):
        response = await client.get(f"/ledger/entries/{index}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"index", "entry", "leaf_hash"}
        canonical = rfc8785.dumps(body["entry"])  # RFC 8785, as the entry was hashed
        assert merkle.leaf_hash(canonical) == b64decode(body["leaf_hash"])
        assert response.headers["cache-control"] == "no-store"
    assert (await client.get("/ledger/entries/5")).status_code == 404
    for bad in ("abc", "-1", "1.5", "99999999999999999999"):
        response = await client.get(f"/ledger/entries/{bad}")
        assert response.status_code == 400, (bad, response.text)
        assert fields_named(response) == {"index"}, bad
    await sign_out(client)

    await sign_in_as(client, served["volunteer"])
    assert (await client.get("/ledger/entries/0")).status_code == 200
    assert (await client.get("/ledger/entries/2")).status_code == 200
    for index in (1, 3, 4, 5, 99):
        response = await client.get(f"/ledger/entries/{index}")
        assert response.status_code == 404, (index, response.text)
