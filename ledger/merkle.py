"""RFC 9162 §2.1 Merkle tree hashing, proofs and proof verification (SHA-256).

This module is deliberately self-contained: it uses only the Python standard library and
nothing else from ESP Portal, so that anyone (a volunteer, an auditor, a court) can copy this
single file and check the ledger's receipts, inclusion proofs and consistency proofs offline,
without trusting or even running the portal.

Definitions (RFC 9162 §2.1.1), with ``H`` = SHA-256 and ``||`` = concatenation:

* empty tree:   ``MTH({}) = H()``
* leaf:         ``leaf_hash(entry) = H(0x00 || entry)``
* interior:     ``node_hash(l, r) = H(0x01 || l || r)``
* tree of n>1:  ``MTH(D[n]) = node_hash(MTH(D[0:k]), MTH(D[k:n]))``, ``k`` the largest power of
  two smaller than ``n``.

Proof builders take the list of *leaf hashes* (not entries) and raise ``ValueError`` (or
``TypeError`` for wrong types) on bad arguments. Verifiers never raise: anything malformed
(wrong lengths, wrong types, sizes out of range) simply makes them return ``False``.

Edge cases, following RFC 9162 §2.1.4 where it speaks and defined here where it does not:

* a consistency proof between equal sizes is the empty list; it verifies iff the roots are equal;
* a consistency proof from the empty tree (``old_size == 0``) is the empty list; it verifies iff
  ``old_root`` is the empty-tree root ``H()`` (the only root a tree of size 0 can have) and
  ``new_root`` is a well-formed hash. It proves nothing else: every tree extends the empty one.

Usage example::

    from merkle import leaf_hash, verify_inclusion
    ok = verify_inclusion(leaf_hash(entry_bytes), index, tree_size, path, root)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root hash of the empty tree: SHA-256 of nothing (RFC 9162 §2.1.1)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


# --------------------------------------------------------------------------------------------
# Hashing
# --------------------------------------------------------------------------------------------


def leaf_hash(entry: bytes) -> bytes:
    """Hash of a leaf: ``SHA-256(0x00 || entry)``.

    The 0x00 prefix separates leaves from interior nodes (second-preimage resistance).
    """
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_root(leaf_hashes: Sequence[bytes], begin: int, end: int) -> bytes:
    """``MTH(D[begin:end])`` for ``0 <= begin < end``, without copying slices.

    A stack fold: after pushing leaf number ``c`` (counted from ``begin``, 1-based), merge the top
    two entries once per trailing zero bit of ``c``; the stack then holds the roots of the
    perfect subtrees of the binary decomposition of ``c`` (largest first), which are finally
    folded right to left. Memory is O(log n), hashing O(n).
    """
    stack: list[bytes] = []
    for i in range(begin, end):
        stack.append(leaf_hashes[i])
        count = i - begin + 1
        while count & 1 == 0:
            right = stack.pop()
            stack[-1] = node_hash(stack[-1], right)
            count >>= 1
    result = stack.pop()
    while stack:
        result = node_hash(stack.pop(), result)
    return result


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


def _check_leaf_hashes(leaf_hashes: Sequence[bytes]) -> None:
    for i, h in enumerate(leaf_hashes):
        if not isinstance(h, bytes):
            raise TypeError(f"leaf hash {i} is {type(h).__name__}, expected bytes")
        if len(h) != HASH_SIZE:
            raise ValueError(f"leaf hash {i} has {len(h)} bytes, expected {HASH_SIZE}")


def _check_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of a list of leaf hashes (empty list: ``SHA-256()``)."""
    _check_leaf_hashes(leaf_hashes)
    if not leaf_hashes:
        return EMPTY_ROOT
    return _range_root(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path ``PATH(index, D[n])`` of RFC 9162 §2.1.3.1, deepest sibling first.

    Raises ``ValueError`` unless ``0 <= index < len(leaf_hashes)``.
    """
    _check_int("index", index)
    _check_leaf_hashes(leaf_hashes)
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} out of range for a tree of size {size}")
    siblings: list[tuple[int, int]] = []  # top-down
    begin, end = 0, size
    while end - begin > 1:
        mid = begin + _largest_power_of_two_below(end - begin)
        if index < mid:
            siblings.append((mid, end))
            end = mid
        else:
            siblings.append((begin, mid))
            begin = mid
    return [_range_root(leaf_hashes, b, e) for b, e in reversed(siblings)]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """The consistency proof ``PROOF(old_size, D[n])`` of RFC 9162 §2.1.4.1.

    Returns ``[]`` when ``old_size`` is 0 or equals the current size (nothing to prove).
    Raises ``ValueError`` unless ``0 <= old_size <= len(leaf_hashes)``.
    """
    _check_int("old_size", old_size)
    _check_leaf_hashes(leaf_hashes)
    size = len(leaf_hashes)
    if not 0 <= old_size <= size:
        raise ValueError(f"old size {old_size} out of range for a tree of size {size}")
    if old_size in (0, size):
        return []
    # SUBPROOF(m, D[begin:end], complete), unrolled; ranges collected top-down.
    ranges: list[tuple[int, int]] = []
    m, begin, end, complete = old_size, 0, size, True
    while True:
        if m == end - begin:
            if not complete:
                ranges.append((begin, end))
            break
        k = _largest_power_of_two_below(end - begin)
        if m <= k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            m -= k
            begin += k
            complete = False
    return [_range_root(leaf_hashes, b, e) for b, e in reversed(ranges)]


# --------------------------------------------------------------------------------------------
# Verifiers (never raise)
# --------------------------------------------------------------------------------------------


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _as_hash_list(proof: object) -> list[bytes] | None:
    """``proof`` as a list of well-formed hashes, or ``None`` if it is anything else."""
    if not isinstance(proof, Sequence) or isinstance(proof, (str, bytes, bytearray)):
        return None
    try:
        items = list(proof)
    except Exception:  # a hostile Sequence: treat as malformed, never raise
        return None
    if not all(_is_hash(item) for item in items):
        return None
    return items


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an inclusion proof with the algorithm of RFC 9162 §2.1.3.2.

    True iff ``proof`` proves that ``leaf_hash`` is leaf number ``index`` of the tree of size
    ``tree_size`` whose root is ``root``. Never raises; malformed input gives ``False``.
    """
    path = _as_hash_list(proof)
    if (
        path is None
        or not _is_hash(leaf_hash)
        or not _is_hash(root)
        or not _is_size(index)
        or not _is_size(tree_size)
        or index >= tree_size
    ):
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn != 0 and not fn & 1:  # fn == sn: skip levels with no right sibling
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> bool:
    """Check a consistency proof with the algorithm of RFC 9162 §2.1.4.2.

    True iff ``proof`` proves that the tree of size ``new_size`` with root ``new_root`` extends
    (append-only) the tree of size ``old_size`` with root ``old_root``. Edge cases: equal sizes
    need an empty proof and equal roots; ``old_size == 0`` needs an empty proof and
    ``old_root == EMPTY_ROOT``. Never raises; malformed input gives ``False``.
    """
    path = _as_hash_list(proof)
    if (
        path is None
        or not _is_hash(old_root)
        or not _is_hash(new_root)
        or not _is_size(old_size)
        or not _is_size(new_size)
        or old_size > new_size
    ):
        return False
    if old_size == 0:
        return not path and old_root == EMPTY_ROOT and (new_size > 0 or new_root == EMPTY_ROOT)
    if old_size == new_size:
        return not path and old_root == new_root
    if not path:
        return False
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node
        path = [old_root, *path]
    roots = _consistency_roots(old_size, new_size, path)
    return roots is not None and roots == (old_root, new_root)


def _consistency_roots(
    old_size: int, new_size: int, path: list[bytes]
) -> tuple[bytes, bytes] | None:
    """The old and new roots a non-empty consistency ``path`` folds to (RFC 9162 §2.1.4.2,
    steps 3 to 7), or ``None`` when the path does not fit the two sizes."""
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn != 0 and not fn & 1:  # fn == sn: skip levels with no right sibling
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return (fr, sr) if sn == 0 else None
