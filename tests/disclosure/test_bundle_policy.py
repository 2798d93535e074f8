"""``ledger verify-bundle --policy``: a bundle's checkpoint must carry a witness quorum."""

from __future__ import annotations

import base64
import json
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
from tests.ledger.conftest import make_draft
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
