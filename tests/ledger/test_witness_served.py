"""Two real witness processes cosign a real ledger's checkpoints (both databases); a witness
refuses forks and rollbacks, answers per C2SP tlog-witness, and a split view is caught."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import CosignatureVerifier
from ledger.note import NoteSigner
from ledger.policy import check_checkpoint, parse_policy
from ledger.service import Ledger
from ledger.witness.client import WitnessClient, WitnessError
from tests.ledger.conftest import ORIGIN, make_draft
from tests.support.spec_cosig import spec_verify
from tests.support.witnesses import ServedWitness, served_witnesses


@pytest.fixture
def witnesses(tmp_path: Path, signer: NoteSigner) -> Iterator[list[ServedWitness]]:
    with served_witnesses(tmp_path / "witnesses", signer.verifier_key()) as served:
        yield served


def _proof_source(ledger: Ledger) -> Any:
    async def proof(old: int, new: int) -> list[bytes]:
        return list((await ledger.consistency_proof(old, new)).consistency_path)

    return proof


def _body(note: str) -> str:
    return note[: note.rindex("\n\n") + 1]


async def test_two_witnesses_cosign_and_a_quorum_holds(
    ledger: Ledger, witnesses: list[ServedWitness], signer: NoteSigner
) -> None:
    clients = [WitnessClient(w.url, CosignatureVerifier.from_key(w.vkey)) for w in witnesses]
    note = ""
    for batch in range(3):
        await ledger.append([make_draft(batch * 10 + i) for i in range(batch + 1)])
        note = await ledger.latest_checkpoint()
        size = await ledger.size()
        lines = [(await c.cosign(note, size, _proof_source(ledger)))[0] for c in clients]
        cosigned = note + "".join(lines)
        for witness in witnesses:  # checked by the spec-written verifier, not the product's
            assert spec_verify(witness.vkey, cosigned) is not None
    # A client that forgot the witness's size learns it from a 409 and proves consistency.
    await ledger.append([make_draft(99)])
    note = await ledger.latest_checkpoint()
    fresh = WitnessClient(witnesses[0].url, CosignatureVerifier.from_key(witnesses[0].vkey))
    line, _ = await fresh.cosign(note, await ledger.size(), _proof_source(ledger))
    line2, _ = await clients[1].cosign(note, await ledger.size(), _proof_source(ledger))
    cosigned = note + line + line2

    head = f"log {signer.verifier_key()}\n" + "".join(
        f"witness W{i} {w.vkey}\n" for i, w in enumerate(witnesses)
    )
    both = parse_policy(head + "group G all W0 W1\nquorum G\n")
    assert check_checkpoint(cosigned, both).quorum_met
    assert not check_checkpoint(note + line, both).quorum_met
    one = parse_policy(head + "group G any W0 W1\nquorum G\n")
    assert check_checkpoint(note + line2, one).quorum_met
    assert not check_checkpoint(note, one).quorum_met


async def _post(url: str, body: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{url}/add-checkpoint", content=body.encode())


async def test_witness_refuses_fork_and_rollback_and_split_view_is_caught(
    ledger: Ledger, witnesses: list[ServedWitness], signer: NoteSigner
) -> None:
    witness = witnesses[0]
    client = WitnessClient(witness.url, CosignatureVerifier.from_key(witness.vkey))
    await ledger.append([make_draft(1), make_draft(2)])
    early = await ledger.latest_checkpoint()
    await client.cosign(early, 2, _proof_source(ledger))
    await ledger.append([make_draft(3), make_draft(4), make_draft(5)])
    held = await ledger.latest_checkpoint()
    line, _ = await client.cosign(held, 5, _proof_source(ledger))
    cosigned_held = held + line

    # A split view: the log signs another tree of the same size.
    fork = sign_checkpoint(Checkpoint(ORIGIN, 5, b"\x11" * 32), signer)
    response = await _post(witness.url, "old 5\n\n" + fork)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/x.tlog.size")
    assert response.text == "5\n"
    # ... nor can the fork be passed off as an extension of the held tree.
    await ledger.append([make_draft(6)])
    proof = (await ledger.consistency_proof(5, 6)).consistency_path
    bigger_fork = sign_checkpoint(Checkpoint(ORIGIN, 6, b"\x22" * 32), signer)
    lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    response = await _post(witness.url, f"old 5\n{lines}\n" + bigger_fork)
    assert response.status_code == 422
    # Rollback: an older checkpoint is refused, whatever old size is claimed.
    response = await _post(witness.url, "old 2\n\n" + early)
    assert response.status_code == 409 and response.text == "5\n"
    response = await _post(witness.url, "old 5\n\n" + early)
    assert response.status_code == 400
    # The client holding the cosigned checkpoint rejects the fork, even with the line copied.
    policy = parse_policy(f"log {signer.verifier_key()}\nwitness W {witness.vkey}\nquorum W\n")
    assert check_checkpoint(cosigned_held, policy).quorum_met
    assert not check_checkpoint(fork + line, policy).quorum_met
    with pytest.raises(WitnessError, match="fork"):
        await client.cosign(fork, 5, _proof_source(ledger))
    # The witness kept the validly signed refused submissions as evidence.
    with sqlite3.connect(witness.db_path) as db:
        reasons = [r[0] for r in db.execute("SELECT reason FROM refused_submission")]
    assert len(reasons) >= 4
    # It still moves forward with the real log.
    real = await ledger.latest_checkpoint()
    await client.cosign(real, 6, _proof_source(ledger))


async def test_witness_status_codes_per_spec(
    witnesses: list[ServedWitness], signer: NoteSigner
) -> None:
    url = witnesses[0].url
    empty = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    stranger = NoteSigner.generate("elsewhere.example/log")
    unknown = stranger.sign(f"elsewhere.example/log\n0\n{empty}\n")
    assert (await _post(url, "old 0\n\n" + unknown)).status_code == 404
    impostor = NoteSigner.generate(ORIGIN)
    forged = sign_checkpoint(Checkpoint(ORIGIN, 3, b"\x01" * 32), impostor)
    assert (await _post(url, "old 0\n\n" + forged)).status_code == 403
    good = sign_checkpoint(Checkpoint(ORIGIN, 3, b"\x01" * 32), signer)
    assert (await _post(url, "old 4\n\n" + good)).status_code == 400
    assert (await _post(url, "old 01\n\n" + good)).status_code == 400
    assert (await _post(url, "old 0\nnot-base64!\n\n" + good)).status_code == 400
    assert (await _post(url, "old 0\n" + empty + "\n\n" + good)).status_code == 422
    ok = await _post(url, "old 0\n\n" + good)
    assert ok.status_code == 200
    assert spec_verify(witnesses[0].vkey, good + ok.text) is not None
    assert (await _post(url, "old 0\n\n" + good)).status_code == 409
