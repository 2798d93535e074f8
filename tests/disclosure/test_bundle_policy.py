"""``ledger verify-bundle --policy``: a bundle's checkpoint must carry a witness quorum."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import CosignatureVerifier
from ledger.note import NoteSigner, load_or_create_signing_key
from ledger.service import Ledger
from ledger.witness.client import WitnessClient
from portal.cli.bundle_commands import verify_bundle
from portal.disclosure.bundle import FORMAT
from portal.settings import Settings
from tests.conftest import make_settings
from tests.ledger.conftest import make_draft
from tests.support.auth import serve
from tests.support.disclosure_scene import PM, build_scene, consent
from tests.support.spec_cosig import spec_verify
from tests.support.witnesses import ServedWitness, served_witnesses


@pytest.fixture
def signer(settings: Settings) -> NoteSigner:
    """The key the ``ledger`` fixture signs with (its name is the origin)."""
    return load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)


@pytest.fixture
def witnesses(tmp_path: Path, signer: NoteSigner) -> Iterator[list[ServedWitness]]:
    with served_witnesses(tmp_path / "witnesses", signer.verifier_key()) as served:
        yield served


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def _bundle(ledger: Ledger, note: str, subject: str) -> dict[str, Any]:
    size = await ledger.size()
    entries = []
    for index in range(size):
        stored = await ledger.get_entry(index)
        if stored.subject != subject:
            continue
        proof = await ledger.inclusion_proof(index, size)
        entries.append(
            {
                "index": index,
                "entry_b64": _b64(stored.body),
                "entry": json.loads(stored.body),
                "leaf_hash": _b64(stored.leaf_hash),
                "inclusion_path": [_b64(h) for h in proof.inclusion_path],
            }
        )
    return {
        "format": FORMAT,
        "origin": ledger.origin,
        "verifier_key": ledger.verifier_key(),
        "checkpoint": note,
        "tree_size": size,
        "subject": subject,
        "entries": entries,
    }


async def test_verify_bundle_with_a_policy_needs_the_quorum(
    ledger: Ledger, witnesses: list[ServedWitness], signer: NoteSigner, tmp_path: Path
) -> None:
    await ledger.append([make_draft(i % 2) for i in range(5)])
    note = await ledger.latest_checkpoint()
    size = await ledger.size()

    async def proof(old: int, new: int) -> list[bytes]:
        return list((await ledger.consistency_proof(old, new)).consistency_path)

    lines = []
    for witness in witnesses:
        client = WitnessClient(witness.url, CosignatureVerifier.from_key(witness.vkey))
        lines.append((await client.cosign(note, size, proof))[0])
    subject = (await ledger.get_entry(1)).subject
    bundle = await _bundle(ledger, note + "".join(lines), subject)
    assert len(bundle["entries"]) == 2
    path, policy = tmp_path / "bundle.json", tmp_path / "policy.txt"
    path.write_text(json.dumps(bundle))
    head = f"log {signer.verifier_key()}\n" + "".join(
        f"witness W{i} {w.vkey}\n" for i, w in enumerate(witnesses)
    )
    policy.write_text(head + "group both all W0 W1\nquorum both\n")
    ok = CliRunner().invoke(verify_bundle, [str(path), "--policy", str(policy)])
    assert ok.exit_code == 0, ok.output
    assert "cosigned by W0, W1" in ok.output

    # One cosignature short of the quorum: refused, and the message says which were found.
    bundle_one = dict(bundle, checkpoint=note + lines[0])
    path.write_text(json.dumps(bundle_one))
    short = CliRunner().invoke(verify_bundle, [str(path), "--policy", str(policy)])
    assert short.exit_code == 1 and "cosigned by W0," in short.output

    # A split view: the log signs another tree of that size and copies the cosignatures.
    fork = sign_checkpoint(Checkpoint(ledger.origin, size, b"\x33" * 32), signer)
    path.write_text(json.dumps(dict(bundle, checkpoint=fork + "".join(lines))))
    split = CliRunner().invoke(verify_bundle, [str(path), "--policy", str(policy)])
    assert split.exit_code == 1 and "no witness" in split.output

    # A bad policy file is a clear error with exit 2.
    policy.write_text(head + "quorum nobody\n")
    path.write_text(json.dumps(bundle))
    bad = CliRunner().invoke(verify_bundle, [str(path), "--policy", str(policy)])
    assert bad.exit_code == 2 and "nobody" in bad.output


async def test_served_bundle_carries_a_witnessed_checkpoint_that_covers_it(
    database: Any,
    settings: Settings,
    ledger: Ledger,
    witnesses: list[ServedWitness],
    signer: NoteSigner,
    tmp_path: Path,
) -> None:
    """The volunteer's bundle uses the newest cosigned checkpoint covering all its entries, even
    when the ledger has moved on since (witnesses down), and verify-bundle --policy accepts it."""
    configured = make_settings(
        database,
        settings.data_dir,
        witnesses=[{"url": w.url, "key": w.vkey} for w in witnesses],
        witness_interval_seconds=0.2,
    )
    scene = await build_scene(configured, ledger, staff=2)
    alex, sam = scene.staff_a
    async with serve(configured) as client:
        await scene.as_volunteer(client, alex)
        await consent(client, scene.employer_a, ["identity"])
        await scene.as_user(client, scene.hr_a)
        assert (
            await client.get(f"/api/employer/staff/{alex.id}", params={"purpose": PM})
        ).status_code == 200
        size = await ledger.size()
        deadline = time.monotonic() + 60
        while True:
            witnessed = await client.get("/ledger/checkpoint/witnessed")
            body = witnessed.text
            if (
                witnessed.status_code == 200
                and body.split("\n")[1] == str(size)
                and all(spec_verify(w.vkey, body) is not None for w in witnesses)
            ):
                break
            assert time.monotonic() < deadline, "the witnesses never cosigned"
            await asyncio.sleep(0.2)
        for witness in witnesses:  # both go down; disclosures go on
            witness.process.terminate()
            witness.process.wait(timeout=10)
        assert (
            await client.get(f"/api/employer/staff/{sam.id}", params={"purpose": PM})
        ).status_code == 200
        assert await ledger.size() > size
        await scene.as_volunteer(client, alex)
        response = await client.get("/api/volunteer/disclosures/bundle")
        assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["tree_size"] == size
    assert [e["entry"]["kind"] for e in bundle["entries"]] == ["disclosure", "consent.given"]
    path, policy = tmp_path / "bundle.json", tmp_path / "policy.txt"
    path.write_text(json.dumps(bundle))
    policy.write_text(
        f"log {signer.verifier_key()}\n"
        + "".join(f"witness W{i} {w.vkey}\n" for i, w in enumerate(witnesses))
        + "group both all W0 W1\nquorum both\n"
    )
    ok = CliRunner().invoke(verify_bundle, [str(path), "--policy", str(policy)])
    assert ok.exit_code == 0, ok.output
    assert "cosigned by W0, W1" in ok.output
