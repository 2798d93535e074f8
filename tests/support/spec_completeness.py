"""A bundle completeness verifier written from docs/VERIFY.md §5 and RFC 9162 alone.

Deliberately shares no code with ``ledger/`` or ``portal/``: it is what a third party would write
from the published text (the subject map as a recursive definition, RFC 9162 §2.1.3.2 inclusion
verification), so the product's proofs are checked against the spec, not against themselves.
``spec_map_root`` computes a map root straight from the definition, for tests that build a map.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from typing import Any


class SpecIncomplete(Exception):
    """The bundle does not prove it is complete."""


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _bit(key: bytes, depth: int) -> int:
    return (key[depth // 8] >> (7 - depth % 8)) & 1


def spec_key(subject: str) -> bytes:
    return _h(subject.encode("utf-8"))


def spec_map_root(pairs: dict[bytes, int], depth: int = 0) -> bytes:
    """T(K, d) of the spec: zeros, a single leaf, or a branch of the two halves."""
    if not pairs:
        return bytes(32)
    if len(pairs) == 1:
        ((key, value),) = pairs.items()
        return _h(b"\x02" + key + value.to_bytes(8, "big"))
    left = {k: v for k, v in pairs.items() if _bit(k, depth) == 0}
    right = {k: v for k, v in pairs.items() if _bit(k, depth) == 1}
    return _h(b"\x03" + spec_map_root(left, depth + 1) + spec_map_root(right, depth + 1))


def _rfc9162_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    # RFC 9162 §2.1.3.2, step by step.
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = _h(b"\x01" + p + r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _h(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def spec_check(bundle: dict[str, Any]) -> tuple[bool, int]:
    """``(complete, since)`` for a bundle whose checkpoint the caller trusts; raises otherwise.

    ``complete`` is True when the chain reached the subject's first entry; False when it reached
    an entry written before ``since`` (then only entries from ``since`` on are proven).
    """
    text = bundle["checkpoint"].split("\n\n")[0].split("\n")
    size, root = int(text[1]), base64.b64decode(text[2])
    subject = bundle["subject"]
    entries = [(e["index"], base64.b64decode(e["entry_b64"])) for e in bundle["entries"]]
    for index, body in entries:
        leaf = _h(b"\x00" + body)
        path = [
            base64.b64decode(h)
            for h in next(e["inclusion_path"] for e in bundle["entries"] if e["index"] == index)
        ]
        if not _rfc9162_inclusion(leaf, index, size, path, root):
            raise SpecIncomplete(f"entry {index} is not in the tree")
    proof = bundle["completeness"]
    if proof is None or proof["format"] != "esp-portal-subject-map/1":
        raise SpecIncomplete("no completeness proof")
    if proof["tree_size"] != size or proof["commitment"]["index"] != size - 1:
        raise SpecIncomplete("the proof is for another tree")
    commitment = base64.b64decode(proof["commitment"]["entry_b64"])
    commitment_path = [base64.b64decode(h) for h in proof["commitment"]["inclusion_path"]]
    if not _rfc9162_inclusion(_h(b"\x00" + commitment), size - 1, size, commitment_path, root):
        raise SpecIncomplete("the commitment entry is not the tree's last entry")
    stated = json.loads(commitment)
    if stated["index"] != size - 1 or stated["checkpoint_size"] != size:
        raise SpecIncomplete("the commitment entry does not end the tree's batch")
    map_root = base64.b64decode(stated["subject_map"]["root"])
    since = stated["subject_map"]["since"]

    key = spec_key(subject)
    siblings = [base64.b64decode(h) for h in proof["map_path"]]
    if len(siblings) > 256:
        raise SpecIncomplete("map path too long")
    leaf = proof["map_leaf"]
    latest: int | None = None
    if leaf is None:
        node = bytes(32)
    else:
        leaf_key = base64.b64decode(leaf["key"])
        if any(_bit(leaf_key, d) != _bit(key, d) for d in range(len(siblings))):
            raise SpecIncomplete("map leaf off the key's path")
        node = _h(b"\x02" + leaf_key + leaf["value"].to_bytes(8, "big"))
        if leaf_key == key:
            latest = leaf["value"]
    for depth in reversed(range(len(siblings))):
        if _bit(key, depth):
            node = _h(b"\x03" + siblings[depth] + node)
        else:
            node = _h(b"\x03" + node + siblings[depth])
    if node != map_root:
        raise SpecIncomplete("map path does not lead to the committed root")

    indexes = [index for index, _ in entries]
    if any(b >= a for a, b in itertools.pairwise(indexes)):
        raise SpecIncomplete("entries are not newest first, each once")
    documents = {index: json.loads(body) for index, body in entries}
    if any(doc.get("subject") != subject for doc in documents.values()):
        raise SpecIncomplete("an entry is about someone else")
    chain: set[int] = set()
    current = latest
    while current is not None and current >= since:
        if current not in documents:
            raise SpecIncomplete(f"entry {current} is missing")
        if "prev_subject_index" not in documents[current]:
            raise SpecIncomplete(f"entry {current} has no back-pointer")
        previous = documents[current]["prev_subject_index"]
        if previous is not None and not (isinstance(previous, int) and 0 <= previous < current):
            raise SpecIncomplete(f"entry {current} points forward")
        chain.add(current)
        current = previous
    if current is not None and current not in documents:
        raise SpecIncomplete(f"entry {current} (before the chains) is missing")
    floor = current if current is not None else -1
    if any(index not in chain and index > floor for index in documents):
        raise SpecIncomplete("an entry is not on the subject's chain")
    return current is None, since
