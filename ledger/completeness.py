"""Completeness proofs: the entries about one subject are *all* of them up to a checkpoint's size.

Standard library plus :mod:`ledger.merkle` and :mod:`ledger.subjectmap` (both pure), so an
auditor can copy the three files. The format and the checks are specified in docs/VERIFY.md §5.

A proof for subject ``S`` against the tree of size ``N`` with root ``R`` holds:

- the **commitment**: entry ``N - 1`` (the last entry of the batch that made the checkpoint)
  with its inclusion path; its ``subject_map`` member states the map's root at ``N`` and
  ``since``, the index from which every entry about a subject carries ``prev_subject_index``;
- the **map path** of ``SHA-256(S)`` under that root: it proves ``L``, the index of the latest
  entry about ``S`` below ``N``, or that there is none.

The entries themselves (in the bundle, each with its own inclusion proof) must then be exactly
the chain from ``L`` following ``prev_subject_index`` down to ``null`` (the subject's first
entry) or to the last entry before ``since``, newest first. A left-out entry breaks the chain, an
added one is not on it, a reordered one is out of order: each raises a
:class:`CompletenessError` naming the index it concerns.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import merkle
from .entries import PREV_SUBJECT_INDEX, SUBJECT_MAP
from .errors import LedgerError
from .subjectmap import FORMAT, MapProof, MapProofError, subject_key, verify_map_proof

__all__ = [
    "CompletenessError",
    "CompletenessProof",
    "CompletenessResult",
    "check_completeness",
]


class CompletenessError(LedgerError):
    """A completeness proof fails; ``index`` is the entry it concerns (None: the proof itself).

    ``reason`` is a short stable code (``malformed``, ``commitment``, ``map``, ``order``,
    ``foreign``, ``missing``, ``added``, ``chain``) and ``evidence`` what was expected and found.
    """

    def __init__(
        self, reason: str, message: str, index: int | None = None, **evidence: Any
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.index = index
        self.evidence = evidence


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise CompletenessError("malformed", f"{what} must be a base64 string")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise CompletenessError("malformed", f"{what} is not valid base64") from None


def _enc(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _count(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CompletenessError("malformed", f"{what} must be a non-negative integer")
    return value


@dataclass(frozen=True, slots=True)
class CompletenessProof:
    """What a bundle carries besides its entries to prove the list of them complete."""

    tree_size: int
    commitment_entry: bytes
    commitment_path: tuple[bytes, ...]
    map_proof: MapProof

    def to_json(self) -> dict[str, Any]:
        leaf = self.map_proof.leaf
        return {
            "format": FORMAT,
            "tree_size": self.tree_size,
            "key": _enc(self.map_proof.key),
            "commitment": {
                "index": self.tree_size - 1,
                "entry_b64": _enc(self.commitment_entry),
                "leaf_hash": _enc(merkle.leaf_hash(self.commitment_entry)),
                "inclusion_path": [_enc(h) for h in self.commitment_path],
            },
            "map_path": [_enc(h) for h in self.map_proof.siblings],
            "map_leaf": None if leaf is None else {"key": _enc(leaf[0]), "value": leaf[1]},
        }

    @classmethod
    def from_json(cls, value: Any, subject: str) -> CompletenessProof:
        """Parse the JSON form for ``subject``; :class:`CompletenessError` if malformed."""
        if not isinstance(value, dict) or value.get("format") != FORMAT:
            raise CompletenessError("malformed", f"the completeness proof's format is not {FORMAT}")
        tree_size = _count(value.get("tree_size"), "tree_size")
        key = subject_key(subject)
        if "key" in value and _b64(value["key"], "key") != key:
            raise CompletenessError("malformed", "the proof's key is not SHA-256 of the subject")
        commitment = value.get("commitment")
        if not isinstance(commitment, dict):
            raise CompletenessError("malformed", "the proof has no commitment")
        if commitment.get("index") != tree_size - 1:
            raise CompletenessError(
                "commitment",
                "the commitment must be the tree's last entry",
                commitment.get("index"),
                expected=tree_size - 1,
            )
        path = commitment.get("inclusion_path")
        map_path = value.get("map_path")
        if not isinstance(path, list) or not isinstance(map_path, list):
            raise CompletenessError("malformed", "inclusion_path and map_path must be lists")
        raw_leaf = value.get("map_leaf")
        leaf = None
        if raw_leaf is not None:
            if not isinstance(raw_leaf, dict):
                raise CompletenessError("malformed", "map_leaf must be an object or null")
            leaf = (
                _b64(raw_leaf.get("key"), "map_leaf.key"),
                _count(raw_leaf.get("value"), "map_leaf.value"),
            )
        return cls(
            tree_size=tree_size,
            commitment_entry=_b64(commitment.get("entry_b64"), "commitment.entry_b64"),
            commitment_path=tuple(_b64(h, "commitment.inclusion_path") for h in path),
            map_proof=MapProof(key, tuple(_b64(h, "map_path") for h in map_path), leaf),
        )


@dataclass(frozen=True, slots=True)
class CompletenessResult:
    """What a proof established about one subject in the tree of ``tree_size``.

    ``chained`` entries (at or after ``since``) are proven to be every entry about the subject
    from ``since`` on. When ``complete`` the chain reached the subject's first entry, so the
    bundle holds every entry about the subject in the tree; otherwise it reached ``legacy_index``,
    the subject's latest entry written before back-pointers existed, and older entries are
    listed but cannot be proven complete.
    """

    tree_size: int
    since: int
    chained: int
    complete: bool
    legacy_index: int | None


def _commitment(proof: CompletenessProof, root: bytes) -> tuple[bytes, int]:
    """The map root and ``since`` that the tree's last entry states, once proven in the tree."""
    size = proof.tree_size
    leaf = merkle.leaf_hash(proof.commitment_entry)
    if size < 1 or not merkle.verify_inclusion(
        leaf, size - 1, size, list(proof.commitment_path), root
    ):
        raise CompletenessError(
            "commitment",
            f"the commitment entry {size - 1} is not proven in the tree of size {size}",
            size - 1,
        )
    try:
        document = json.loads(proof.commitment_entry)
    except ValueError:
        raise CompletenessError(
            "commitment", "the commitment entry is not JSON", size - 1
        ) from None
    stated = document.get(SUBJECT_MAP) if isinstance(document, dict) else None
    if not isinstance(stated, dict):
        raise CompletenessError(
            "commitment",
            f"entry {size - 1} commits to no subject map (written before completeness proofs)",
            size - 1,
        )
    if document.get("index") != size - 1 or document.get("checkpoint_size") != size:
        raise CompletenessError(
            "commitment", f"entry {size - 1} does not end the batch of size {size}", size - 1
        )
    map_root = _b64(stated.get("root"), "subject_map.root")
    since = _count(stated.get("since"), "subject_map.since")
    if len(map_root) != 32 or since >= size:
        raise CompletenessError(
            "commitment", f"entry {size - 1}'s subject map is malformed", size - 1
        )
    return map_root, since


def _ordered(subject: str, entries: Sequence[tuple[int, bytes]]) -> dict[int, dict[str, Any]]:
    """The entries' documents by index: newest first, each about ``subject``, each its index."""
    documents: dict[int, dict[str, Any]] = {}
    previous: int | None = None
    for position, (index, body) in enumerate(entries):
        if previous is not None and index >= previous:
            raise CompletenessError(
                "order",
                f"entry {index} (position {position}) follows entry {previous}: the list must "
                "run newest first, each index once",
                index,
                position=position,
                after=previous,
            )
        previous = index
        try:
            document = json.loads(body)
        except ValueError:
            raise CompletenessError("malformed", f"entry {index} is not JSON", index) from None
        if not isinstance(document, dict) or document.get("index") != index:
            raise CompletenessError("malformed", f"entry {index} names another index", index)
        if document.get("subject") != subject:
            raise CompletenessError(
                "foreign",
                f"entry {index} is about another subject",
                index,
                found=document.get("subject"),
            )
        documents[index] = document
    return documents


def check_completeness(
    subject: str,
    tree_size: int,
    root: bytes,
    entries: Sequence[tuple[int, bytes]],
    proof: CompletenessProof,
) -> CompletenessResult:
    """Check that ``entries`` (index, exact bytes; newest first) are all about ``subject``.

    ``tree_size`` and ``root`` come from a checkpoint the caller has verified (signature and,
    for a split view, cosignatures); each entry's own inclusion proof is the caller's to check
    (a bundle check does it). Raises :class:`CompletenessError` on the first failure.
    """
    if proof.tree_size != tree_size:
        raise CompletenessError(
            "commitment",
            f"the proof is for the tree of size {proof.tree_size}, the checkpoint's is {tree_size}",
            expected=tree_size,
            found=proof.tree_size,
        )
    map_root, since = _commitment(proof, root)
    try:
        latest = verify_map_proof(proof.map_proof, map_root)
    except MapProofError as exc:
        raise CompletenessError("map", f"the subject map path fails: {exc}") from None
    documents = _ordered(subject, entries)
    chained: list[int] = []
    current, named_by = latest, "the subject map"
    while current is not None and current >= since:
        document = documents.get(current)
        if document is None:
            raise CompletenessError(
                "missing", f"entry {current}, named by {named_by}, is not in the list", current
            )
        if PREV_SUBJECT_INDEX not in document:
            raise CompletenessError(
                "chain", f"entry {current} has no {PREV_SUBJECT_INDEX}", current
            )
        previous = document[PREV_SUBJECT_INDEX]
        if previous is not None and (
            not isinstance(previous, int)
            or isinstance(previous, bool)
            or not 0 <= previous < current
        ):
            raise CompletenessError(
                "chain",
                f"entry {current}'s {PREV_SUBJECT_INDEX} is not an earlier index",
                current,
                found=previous,
            )
        chained.append(current)
        current, named_by = previous, f"entry {current}"
    if current is not None and current not in documents:
        raise CompletenessError(
            "missing", f"entry {current}, named by {named_by}, is not in the list", current
        )
    on_chain = set(chained)
    # Off the chain, only entries written before back-pointers, up to the legacy head, may be.
    legacy_head = current if current is not None else -1
    for index in documents:
        if index not in on_chain and index > legacy_head:
            raise CompletenessError(
                "added",
                f"entry {index} is not on the subject's chain in the tree of size {tree_size}",
                index,
            )
    return CompletenessResult(tree_size, since, len(chained), current is None, current)
