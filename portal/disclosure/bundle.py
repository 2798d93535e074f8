"""Evidence bundles: a volunteer's ledger entries with inclusion proofs, checkable offline.

:func:`check_bundle` needs only the Python standard library and ``ledger.merkle`` (itself
standard-library only), so an auditor can copy ``ledger/merkle.py`` and this function and check a
bundle without the portal. It proves that every entry's exact bytes are leaf ``index`` of the tree
whose root the checkpoint states. That the checkpoint was signed by the force's key is a separate
check (C2SP signed note, Ed25519): ``esp-portal ledger verify-bundle`` does both.

Bundle format ``esp-portal-evidence-bundle/1`` (JSON)::

    {"format", "origin", "verifier_key", "checkpoint" (signed note), "tree_size", "subject",
     "generated_at", "how_to_verify",
     "entries": [{"index", "entry_b64", "entry", "leaf_hash", "inclusion_path": [...]}]}

Hashes are standard base64; ``entry_b64`` holds the exact RFC 8785 bytes that were hashed.
Entries run newest first. ``completeness`` (``esp-portal-subject-map/1``, or null for a tree
signed before subject maps) proves the entries are every entry about ``subject`` in the tree:
:func:`ledger.completeness.check_completeness`, itself pure, checks it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from ledger import merkle
from ledger.completeness import (
    CompletenessError,
    CompletenessProof,
    CompletenessResult,
    check_completeness,
)

FORMAT = "esp-portal-evidence-bundle/1"

HOW_TO_VERIFY = (
    "Run 'esp-portal ledger verify-bundle FILE --policy POLICY' (C2SP tlog-policy naming the "
    "force's key and the witnesses you trust; see docs/VERIFY.md). Or, with only "
    "ledger/merkle.py: for each entry, "
    "leaf = merkle.leaf_hash(base64decode(entry_b64)) must equal base64decode(leaf_hash), and "
    "merkle.verify_inclusion(leaf, index, tree_size, [base64decode(h) for h in inclusion_path], "
    "root) must be true, where root is base64decode(third line of checkpoint) and tree_size its "
    "second line. Check the checkpoint's Ed25519 signature with verifier_key (C2SP signed-note). "
    "'completeness' proves the list whole: the subject map path of SHA-256(subject) under the "
    "root that entry tree_size-1 commits to gives the latest entry, and prev_subject_index links "
    "each entry to the one before (docs/VERIFY.md section 5)."
)


@dataclass
class BundleCheck:
    """The result of checking a bundle's proofs; ``problems`` is empty when all hold."""

    origin: str = ""
    tree_size: int = 0
    root: bytes = b""
    note_body: str = ""
    entries: int = 0
    problems: list[str] = field(default_factory=list)
    #: What the completeness proof established; None when the bundle carries none (or it fails).
    completeness: CompletenessResult | None = None
    #: The bundle carries a completeness proof (checked whether or not it holds).
    has_completeness: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _b64(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def split_note(note: str) -> tuple[str, list[str]]:
    """A signed note's text (ending in a newline) and its signature lines."""
    split = note.rfind("\n\n")
    if split < 0:
        return note, []
    signatures = note[split + 2 :]
    return note[: split + 1], [line for line in signatures.split("\n") if line]


def check_bundle(bundle: Any) -> BundleCheck:
    """Check every entry of ``bundle`` against the root of its checkpoint (never raises)."""
    result = BundleCheck()
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        result.problems.append(f"not an evidence bundle (format must be {FORMAT})")
        return result
    if not _read_checkpoint(bundle.get("checkpoint"), result):
        return result
    if bundle.get("tree_size") != result.tree_size:
        result.problems.append("tree_size does not match the checkpoint")
    entries = bundle.get("entries")
    if not isinstance(entries, list):
        result.problems.append("the bundle has no entry list")
        return result
    for position, item in enumerate(entries):
        result.entries += 1
        result.problems.extend(_entry_problems(position, item, result.tree_size, result.root))
    proof = bundle.get("completeness")
    if proof is not None:
        result.has_completeness = True
        _check_completeness(bundle.get("subject"), proof, entries, result)
    return result


def _check_completeness(subject: Any, proof: Any, entries: list[Any], result: BundleCheck) -> None:
    """Check the bundle's entries are every entry about its subject (docs/VERIFY.md §5)."""
    if not isinstance(subject, str) or not subject:
        result.problems.append("completeness: the bundle names no subject")
        return
    listed: list[tuple[int, bytes]] = []
    for item in entries:
        body = _b64(item.get("entry_b64")) if isinstance(item, dict) else None
        index = item.get("index") if isinstance(item, dict) else None
        if body is None or not isinstance(index, int):
            result.problems.append("completeness: not checked, an entry is malformed")
            return
        listed.append((index, body))
    try:
        parsed = CompletenessProof.from_json(proof, subject)
        result.completeness = check_completeness(
            subject, result.tree_size, result.root, listed, parsed
        )
    except CompletenessError as exc:
        result.problems.append(f"completeness ({exc.reason}): {exc}")


def _read_checkpoint(note: Any, result: BundleCheck) -> bool:
    """Fill ``result`` from the checkpoint note; ``False`` (with the problem) when unusable."""
    if not isinstance(note, str):
        result.problems.append("the bundle has no checkpoint")
        return False
    text, _signatures = split_note(note)
    lines = text.rstrip("\n").split("\n")
    root = _b64(lines[2]) if len(lines) >= 3 else None
    if len(lines) < 3 or not lines[1].isdigit() or root is None or len(root) != merkle.HASH_SIZE:
        result.problems.append("the checkpoint is malformed (origin, size, root lines)")
        return False
    result.origin, result.tree_size, result.root, result.note_body = (
        lines[0],
        int(lines[1]),
        root,
        text,
    )
    return True


def _entry_problems(position: int, item: Any, tree_size: int, root: bytes) -> list[str]:
    """What is wrong with one bundle entry (empty when its proof holds)."""
    if not isinstance(item, dict) or not isinstance(item.get("index"), int):
        return [f"entry {position}: malformed"]
    index = item["index"]
    where = f"entry at index {index}"
    body = _b64(item.get("entry_b64"))
    stated = _b64(item.get("leaf_hash"))
    raw_path = item.get("inclusion_path")
    path = [_b64(h) for h in raw_path] if isinstance(raw_path, list) else None
    if body is None or stated is None or path is None or any(p is None for p in path):
        return [f"{where}: malformed base64"]
    leaf = merkle.leaf_hash(body)
    if leaf != stated:
        return [f"{where}: its bytes do not hash to its leaf hash"]
    try:
        parsed = json.loads(body)
    except ValueError:
        return [f"{where}: its bytes are not JSON"]
    problems = []
    if not isinstance(parsed, dict) or parsed.get("index") != index:
        problems.append(f"{where}: the entry names a different index")
    if item.get("entry") is not None and item.get("entry") != parsed:
        problems.append(f"{where}: the readable copy differs from the hashed bytes")
    proof = [p for p in path if p is not None]
    if not merkle.verify_inclusion(leaf, index, tree_size, proof, root):
        problems.append(f"{where}: the inclusion proof does not match the checkpoint")
    return problems
