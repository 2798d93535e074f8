"""``ledger verify`` replays subject chains: a log that signs wrong back-pointers or a wrong map
root (a dishonest writer, not a tamperer: every hash and signature is in order) is caught, and
named at the entry that shows it."""

from __future__ import annotations

from typing import Any

import pytest

from ledger import Ledger
from ledger.chains import SubjectChains
from ledger.entries import SubjectMapCommitment
from ledger.note import NoteSigner
from tests.ledger.conftest import ORIGIN, make_draft


async def _log_with(
    engine: Any, signer: NoteSigner, monkeypatch: pytest.MonkeyPatch, lie: str
) -> Ledger:
    ledger = Ledger(engine, signer, ORIGIN)
    await ledger.start()
    await ledger.append([make_draft(0, subject="sub_a"), make_draft(1, subject="sub_b")])
    honest_link = SubjectChains.link
    honest_commitment = SubjectChains.commitment
    if lie == "chain":
        # Entry 3 about sub_a skips entry 2, its real predecessor: entry 2 is hidden.
        monkeypatch.setattr(
            SubjectChains,
            "link",
            lambda self, draft, index: 0 if index == 3 else honest_link(self, draft, index),
        )
    else:
        monkeypatch.setattr(
            SubjectChains,
            "commitment",
            lambda self, version, store=True: SubjectMapCommitment(
                bytes(32), honest_commitment(self, version, store).since
            ),
        )
    await ledger.append([make_draft(2, subject="sub_a"), make_draft(3, subject="sub_a")])
    return ledger


async def test_a_skipped_back_pointer_is_named(
    engine: Any, signer: NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = await _log_with(engine, signer, monkeypatch, "chain")
    try:
        result = await ledger.verify()
        assert not result.ok and result.problem is not None
        assert (result.problem.index, result.problem.what) == (3, "subject-chain")
        assert (result.problem.expected, result.problem.found) == ("2", "0")
    finally:
        await ledger.close()


async def test_a_wrong_map_root_is_named(
    engine: Any, signer: NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = await _log_with(engine, signer, monkeypatch, "root")
    try:
        result = await ledger.verify()
        assert not result.ok and result.problem is not None
        assert (result.problem.index, result.problem.what) == (3, "subject-map")
    finally:
        await ledger.close()
