"""Completeness proofs on both databases: a bundle must list every entry about its subject.

Every bundle is checked twice: by the product (``check_bundle``, which uses
``ledger.completeness``) and by ``tests/support/spec_completeness.py``, written from
docs/VERIFY.md §5 without the product's code. Honest bundles pass both; every removal, addition
and reordering of an entry fails both — exhaustively on small ledgers, for every subject and
every checkpoint, and by property test on a larger one.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import AgreementRecordedDraft, EntryDraft, Ledger, LedgerNotFoundError
from ledger.note import NoteSigner
from tests.ledger.completeness_support import (
    all_entries,
    make_bundle,
    mutations,
    product_accepts,
    spec_accepts,
    with_entries,
)
from tests.ledger.conftest import ORIGIN, make_draft
from tests.support.spec_completeness import spec_check, spec_key, spec_map_root

SUBJECTS = ["sub_alice", "sub_bob", "sub_carol"]


def _draft(n: int, subject: str) -> EntryDraft:
    """A disclosure about ``subject``, or an agreement (about no one) for ""."""
    if subject:
        return make_draft(n, subject=subject)
    return AgreementRecordedDraft(
        recipient_org="org-1",
        categories=("status",),
        agreement_ids=(f"dsa-{n}",),
        channel="api",
        details={
            "version": 1,
            "starts_on": "2026-01-01",
            "ends_on": "2027-01-01",
            "supersedes": None,
            "purposes": ["esp.programme-management"],
            "grants": ["esp.programme-management:status"],
            "recorded_by": "user-1",
        },
    )


async def _grow(ledger: Ledger, plan: list[list[str]]) -> list[int]:
    """Append one batch per item of ``plan`` (its subjects; "" for an entry without one)."""
    ends = []
    n = 0
    for batch in plan:
        drafts = []
        for subject in batch:
            drafts.append(_draft(n, subject))
            n += 1
        receipts = await ledger.append(drafts)
        ends.append(receipts[-1].tree_size)
    return ends


async def test_chains_and_commitments_are_in_the_hashed_entries(ledger: Ledger) -> None:
    await _grow(ledger, [["sub_alice", "sub_bob", "sub_alice"], ["", "sub_alice"]])
    documents = [json.loads((await ledger.get_entry(i)).body) for i in range(5)]
    assert [d.get("prev_subject_index", "absent") for d in documents] == [
        None,
        None,
        0,
        "absent",
        2,
    ]
    # Only each batch's last entry commits to the map, and the root is the spec's.
    assert [("subject_map" in d) for d in documents] == [False, False, True, False, True]
    expected = spec_map_root({spec_key("sub_alice"): 4, spec_key("sub_bob"): 1})
    assert base64.b64decode(documents[4]["subject_map"]["root"]) == expected
    assert documents[4]["subject_map"]["since"] == 0
    assert (await ledger.verify()).ok


async def test_every_mutation_of_every_bundle_fails_exhaustively(ledger: Ledger) -> None:
    rng = random.Random(20)
    plan = [[rng.choice([*SUBJECTS, ""]) for _ in range(rng.randint(1, 3))] for _ in range(6)]
    plan[0][0] = "sub_alice"
    ends = await _grow(ledger, plan)
    checked = 0
    for size in ends:
        pool = await all_entries(ledger, size)
        for subject in [*SUBJECTS, "sub_nobody"]:
            bundle = await make_bundle(ledger, subject, size, pool)
            assert product_accepts(bundle), (size, subject, check_bundle_problems(bundle))
            assert spec_check(bundle) == (True, 0)
            for name, entries in mutations(bundle, pool):
                changed = with_entries(bundle, entries)
                assert not product_accepts(changed), (size, subject, name)
                assert not spec_accepts(changed), (size, subject, name)
                checked += 1
    assert checked > 200


def check_bundle_problems(bundle: dict[str, Any]) -> list[str]:
    from portal.disclosure.bundle import check_bundle

    return check_bundle(bundle).problems


async def test_a_forged_entry_or_proof_fails(ledger: Ledger) -> None:
    ends = await _grow(ledger, [["sub_alice", "sub_bob"], ["sub_alice"], ["sub_bob"]])
    pool = await all_entries(ledger, ends[-1])
    bundle = await make_bundle(ledger, "sub_alice", ends[-1], pool)
    # A made-up entry about the subject, placed where a real one would be.
    forged = dict(bundle["entries"][0])
    document = dict(forged["entry"], request_id="made-up", index=3, prev_subject_index=2)
    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    forged.update(index=3, entry=document, entry_b64=base64.b64encode(body).decode())
    changed = with_entries(bundle, [forged, *bundle["entries"]])
    assert not product_accepts(changed) and not spec_accepts(changed)
    # A proof for another subject, or a map path with a flipped bit.
    other = await make_bundle(ledger, "sub_bob", ends[-1], pool)
    swapped = dict(bundle, completeness=other["completeness"])
    assert not product_accepts(swapped) and not spec_accepts(swapped)
    proof = json.loads(json.dumps(bundle["completeness"]))
    proof["map_leaf"]["value"] = 0
    tampered = dict(bundle, completeness=proof)
    assert not product_accepts(tampered) and not spec_accepts(tampered)
    # A bundle without the subject's entries at all: the map says there is one.
    assert not product_accepts(with_entries(bundle, []))


async def test_two_writers_catch_up_on_each_other(engine: Any, signer: NoteSigner) -> None:
    """Two ledgers on one database (two processes): each one's map catches up with the other's
    appends, and an append inside the caller's transaction is chained like any other."""
    first = Ledger(engine, signer, ORIGIN)
    second = Ledger(engine, signer, ORIGIN)
    await first.start()
    await second.start()
    try:
        for n in range(12):
            writer = first if n % 3 else second
            if n % 4 == 3:
                async with writer.appending() as transaction:
                    await transaction.append([make_draft(n, subject=SUBJECTS[n % 2])])
            else:
                await writer.append([make_draft(n, subject=SUBJECTS[n % 2])])
        size = await first.size()
        pool = await all_entries(first, size)
        for subject in SUBJECTS:
            bundle = await make_bundle(second, subject, size, pool)
            assert product_accepts(bundle) and spec_accepts(bundle)
        assert (await first.verify()).ok
    finally:
        await first.close()
        await second.close()


async def test_a_log_from_before_subject_maps_migrates(engine: Any, signer: NoteSigner) -> None:
    """Entries written without back-pointers keep verifying; chains start at the first batch
    written with them (``since``), and a bundle is proven complete from there on."""
    old = Ledger(engine, signer, ORIGIN, subject_map=False)
    await old.start()
    try:
        legacy = await old.append([make_draft(0, subject="sub_alice")])
        await old.append([make_draft(1, subject="sub_bob"), make_draft(2, subject="sub_alice")])
    finally:
        await old.close()
    new = Ledger(engine, signer, ORIGIN)
    await new.start()
    try:
        with pytest.raises(LedgerNotFoundError):
            await new.completeness_proof("sub_alice", 3)
        await new.append([make_draft(3, subject="sub_alice"), make_draft(4, subject="sub_carol")])
        await new.append([make_draft(5, subject="sub_alice")])
        first = json.loads((await new.get_entry(3)).body)
        assert first["prev_subject_index"] == 2 and "prev_subject_index" not in json.loads(
            (await new.get_entry(2)).body
        )
        pool = await all_entries(new, 6)
        bundle = await make_bundle(new, "sub_alice", 6, pool)
        result = check_bundle_result(bundle)
        assert result is not None and not result.complete and result.since == 3
        assert result.legacy_index == 2 and result.chained == 2
        assert spec_check(bundle) == (False, 3)
        carol = await make_bundle(new, "sub_carol", 6, pool)
        assert spec_check(carol) == (True, 3)
        for name, entries in mutations(bundle, pool):
            # Entries before the legacy head (index 0) cannot be proven: leaving it out is the
            # one change a pre-migration log cannot detect.
            if name == "remove 0":
                continue
            changed = with_entries(bundle, entries)
            assert not product_accepts(changed), name
            assert not spec_accepts(changed), name
        # The receipt from before the migration still verifies, and so does the whole log.
        assert legacy[0].verify(new.verifier(), ORIGIN)
        assert (await new.verify()).ok
    finally:
        await new.close()


def check_bundle_result(bundle: dict[str, Any]) -> Any:
    from portal.disclosure.bundle import check_bundle

    result = check_bundle(bundle)
    assert result.ok, result.problems
    return result.completeness


async def test_mutations_fail_on_a_larger_ledger_by_property(ledger: Ledger) -> None:
    rng = random.Random(2026)
    subjects = [f"sub_{n:03d}" for n in range(12)]
    plan = []
    for _ in range(60):
        plan.append([rng.choice([*subjects, ""]) for _ in range(rng.randint(1, 8))])
    ends = await _grow(ledger, plan)
    size = ends[-1]
    pool = await all_entries(ledger, size)
    bundles = {s: await make_bundle(ledger, s, size, pool) for s in subjects}
    for bundle in bundles.values():
        assert product_accepts(bundle) and spec_accepts(bundle)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        subject = data.draw(st.sampled_from(subjects))
        bundle = bundles[subject]
        entries = list(bundle["entries"])
        kind = data.draw(st.sampled_from(["remove", "add", "reorder", "mixed"]))
        if kind in ("remove", "mixed") and entries:
            count = data.draw(st.integers(1, len(entries)))
            for _ in range(count):
                entries.pop(data.draw(st.integers(0, len(entries) - 1)))
                if not entries:
                    break
        if kind in ("add", "mixed"):
            item = data.draw(st.sampled_from(pool))
            entries.insert(data.draw(st.integers(0, len(entries))), item)
        if kind == "reorder":
            if len(entries) < 2:
                return
            shuffled = data.draw(st.permutations(entries))
            if [e["index"] for e in shuffled] == [e["index"] for e in entries]:
                return
            entries = list(shuffled)
        if [e["index"] for e in entries] == [e["index"] for e in bundle["entries"]]:
            return  # e.g. removed and re-added the same entry at the same place
        changed = with_entries(bundle, entries)
        assert not product_accepts(changed)
        assert not spec_accepts(changed)

    check()


async def test_a_rolled_back_append_leaves_no_trace_in_the_chains(ledger: Ledger) -> None:
    """The sequencer updates its map in place; an append whose transaction the caller rolls
    back must not leave its back-pointer behind for the next one."""
    await ledger.append([make_draft(0, subject="sub_alice")])
    with pytest.raises(RuntimeError):
        async with ledger.appending() as transaction:
            await transaction.append([make_draft(1, subject="sub_alice")])
            raise RuntimeError("the caller's own write failed")
    await ledger.append([make_draft(2, subject="sub_alice")])
    assert json.loads((await ledger.get_entry(1)).body)["prev_subject_index"] == 0
    assert (await ledger.verify()).ok
    pool = await all_entries(ledger, 2)
    assert spec_accepts(await make_bundle(ledger, "sub_alice", 2, pool))
