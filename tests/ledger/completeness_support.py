"""Building evidence bundles straight from a ``Ledger`` and mutating them, for completeness tests.

The bundle has the portal's format (``esp-portal-evidence-bundle/1``) so that both the product's
check (:func:`portal.disclosure.bundle.check_bundle`) and the test's own spec verifier
(:mod:`tests.support.spec_completeness`) read it.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from ledger import Ledger
from portal.disclosure.bundle import FORMAT, check_bundle
from tests.support.spec_completeness import SpecIncomplete, spec_check


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def all_entries(ledger: Ledger, size: int) -> list[dict[str, Any]]:
    """Every entry below ``size`` as a bundle item (inclusion proof in the tree of ``size``)."""
    indexes = list(range(size))
    proofs = await ledger.inclusion_proofs(indexes, size)
    items = []
    for index, proof in zip(indexes, proofs, strict=True):
        stored = await ledger.get_entry(index)
        items.append(
            {
                "index": index,
                "entry_b64": b64(stored.body),
                "entry": json.loads(stored.body),
                "leaf_hash": b64(stored.leaf_hash),
                "inclusion_path": [b64(h) for h in proof.inclusion_path],
            }
        )
    return items


async def make_bundle(
    ledger: Ledger, subject: str, size: int, pool: list[dict[str, Any]]
) -> dict[str, Any]:
    """The honest bundle of ``subject`` at ``size`` (``pool``: all_entries at that size)."""
    assert all(item["index"] < size for item in pool), "the pool is of a larger tree"
    mine = [item for item in reversed(pool) if item["entry"].get("subject") == subject]
    proof = await ledger.completeness_proof(subject, size)
    return {
        "format": FORMAT,
        "checkpoint": await ledger.checkpoint_at(size),
        "tree_size": size,
        "subject": subject,
        "entries": mine,
        "completeness": proof.to_json(),
    }


def product_accepts(bundle: dict[str, Any]) -> bool:
    result = check_bundle(bundle)
    return result.ok and result.completeness is not None


def spec_accepts(bundle: dict[str, Any]) -> bool:
    try:
        spec_check(bundle)
    except SpecIncomplete:
        return False
    return True


def with_entries(bundle: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    changed = copy.copy(bundle)
    changed["entries"] = entries
    return changed


def mutations(bundle: dict[str, Any], pool: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """Every single removal, every addition (each other entry of the tree, at each position,
    and a duplicate of each listed entry) and every reordering by swapping two entries."""
    entries = bundle["entries"]
    size = bundle["tree_size"]
    listed = {item["index"] for item in entries}
    out: list[tuple[str, Any]] = []
    for i in range(len(entries)):
        out.append((f"remove {entries[i]['index']}", entries[:i] + entries[i + 1 :]))
    others = [item for item in pool if item["index"] < size and item["index"] not in listed]
    for item in [*others, *entries]:
        for position in range(len(entries) + 1):
            added = [*entries[:position], item, *entries[position:]]
            out.append((f"add {item['index']} at {position}", added))
    for i in range(len(entries)):
        for j in range(i + 1, len(entries)):
            swapped = list(entries)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            out.append((f"swap {entries[i]['index']} and {entries[j]['index']}", swapped))
    return out
