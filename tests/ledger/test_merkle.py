"""ledger.merkle against a naive reference written straight from RFC 9162's recursive definitions.

Also: hypothesis properties on larger trees, and systematic corruption of valid proofs (every
single bit flipped, truncated, extended, reordered, wrong sizes) which must all fail to verify,
and malformed input which must give False rather than raise.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

# ---------------------------------------------------------------------------------------------
# Reference implementation: RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1, literally (on entries).
# ---------------------------------------------------------------------------------------------


def ref_h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return ref_h(b"")
    if n == 1:
        return ref_h(b"\x00" + d[0])
    k = ref_k(n)
    return ref_h(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = ref_k(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = ref_k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


# RFC 9162 proofs do not commit to the tree size on their own (the signed checkpoint does):
# a proof for size n also verifies, against the same root, under a size n' whose recursion takes
# exactly the same steps. These "shapes" (the recursion's choices) say when that happens.


def ref_inclusion_shape(m: int, n: int) -> list[str]:
    if n == 1:
        return []
    k = ref_k(n)
    return [*ref_inclusion_shape(m, k), "L"] if m < k else [*ref_inclusion_shape(m - k, n - k), "R"]


def ref_consistency_shape(m: int, n: int, b: bool = True) -> list[str]:
    if m == n:
        return ["E" if b else "B"]
    k = ref_k(n)
    if m <= k:
        return [*ref_consistency_shape(m, k, b), "L"]
    return [*ref_consistency_shape(m - k, n - k, False), "R"]


def entries(n: int) -> list[bytes]:
    return [f"entry-{i}".encode() for i in range(n)]


ENTRIES = entries(2048)
LEAVES = [leaf_hash(e) for e in ENTRIES]


def flip(b: bytes, bit: int) -> bytes:
    ba = bytearray(b)
    ba[bit // 8] ^= 1 << (bit % 8)
    return bytes(ba)


def all_bit_flips(b: bytes) -> list[bytes]:
    return [flip(b, bit) for bit in range(len(b) * 8)]


# ---------------------------------------------------------------------------------------------
# Hashing basics
# ---------------------------------------------------------------------------------------------


def test_hash_primitives() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert root_hash([]) == EMPTY_ROOT


def test_known_vectors() -> None:
    # RFC 6962/9162 reference test vectors (certificate-transparency-go merkle tests): leaves
    # "", 00, 10, 2021, 3031, 40414243, 5051525354555657, 606162636465666768696a6b6c6d6e6f.
    data = [
        bytes.fromhex(x)
        for x in (
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        )
    ]
    leaves = [leaf_hash(x) for x in data]
    assert leaves[0].hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert root_hash(leaves).hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )
    assert root_hash(leaves[:1]).hex() == leaves[0].hex()
    assert root_hash(leaves[:2]).hex() == (
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
    )
    assert root_hash(leaves[:3]).hex() == (
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"
    )


# ---------------------------------------------------------------------------------------------
# Exhaustive comparison with the reference for small trees
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(71))
def test_root_matches_reference(size: int) -> None:
    assert root_hash(LEAVES[:size]) == ref_mth(ENTRIES[:size])


@pytest.mark.parametrize("size", range(1, 71))
def test_inclusion_matches_reference_and_verifies(size: int) -> None:
    leaves, data = LEAVES[:size], ENTRIES[:size]
    root = ref_mth(data)
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert proof == ref_path(index, data), (size, index)
        assert verify_inclusion(leaves[index], index, size, proof, root)
        # a different leaf's hash at this position never verifies
        other = leaves[(index + 1) % size] if size > 1 else leaf_hash(b"other")
        assert not verify_inclusion(other, index, size, proof, root)


@pytest.mark.parametrize("size", range(1, 71))
def test_consistency_matches_reference_and_verifies(size: int) -> None:
    leaves, data = LEAVES[:size], ENTRIES[:size]
    new_root = ref_mth(data)
    for old_size in range(size + 1):
        proof = consistency_proof(leaves, old_size)
        expected = [] if old_size in (0, size) else ref_proof(old_size, data)
        assert proof == expected, (size, old_size)
        old_root = ref_mth(data[:old_size])
        assert verify_consistency(old_size, size, proof, old_root, new_root), (size, old_size)
        if old_size > 0:
            # the proof does not prove consistency with any other old root
            wrong_old = ref_mth(ENTRIES[1 : old_size + 1])
            assert not verify_consistency(old_size, size, proof, wrong_old, new_root)


# ---------------------------------------------------------------------------------------------
# Edge cases of the definitions
# ---------------------------------------------------------------------------------------------


def test_consistency_edge_cases() -> None:
    r3, r5 = root_hash(LEAVES[:3]), root_hash(LEAVES[:5])
    # equal sizes: empty proof, valid iff roots are equal
    assert verify_consistency(5, 5, [], r5, r5)
    assert not verify_consistency(5, 5, [], r3, r5)
    assert not verify_consistency(5, 5, [r5], r5, r5)
    # from the empty tree: empty proof and the empty-tree root
    assert verify_consistency(0, 5, [], EMPTY_ROOT, r5)
    assert verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    assert not verify_consistency(0, 0, [], EMPTY_ROOT, r5)
    assert not verify_consistency(0, 5, [r3], EMPTY_ROOT, r5)
    assert not verify_consistency(0, 5, [], r3, r5)
    # shrinking is never consistent
    assert not verify_consistency(5, 3, consistency_proof(LEAVES[:5], 3), r5, r3)
    # different sizes need a non-empty proof
    assert not verify_consistency(3, 5, [], r3, r5)
    assert not verify_consistency(3, 5, [], r3, r3)


def test_inclusion_single_leaf_and_empty_tree() -> None:
    h = LEAVES[0]
    assert inclusion_proof([h], 0) == []
    assert verify_inclusion(h, 0, 1, [], h)
    assert not verify_inclusion(h, 0, 1, [h], h)
    assert not verify_inclusion(h, 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(h, 1, 1, [], h)


ANY_FLOAT: Any = 1.0  # wrong types on purpose, hidden from the type checker
ANY_STR: Any = "2"


@pytest.mark.parametrize(
    ("call", "exc"),
    [
        (lambda: inclusion_proof(LEAVES[:4], 4), ValueError),
        (lambda: inclusion_proof(LEAVES[:4], -1), ValueError),
        (lambda: inclusion_proof([], 0), ValueError),
        (lambda: inclusion_proof(LEAVES[:4], True), TypeError),
        (lambda: inclusion_proof(LEAVES[:4], ANY_FLOAT), TypeError),
        (lambda: consistency_proof(LEAVES[:4], 5), ValueError),
        (lambda: consistency_proof(LEAVES[:4], -1), ValueError),
        (lambda: consistency_proof(LEAVES[:4], ANY_STR), TypeError),
        (lambda: root_hash([b"short"]), ValueError),
        (lambda: root_hash([ANY_STR * 32]), TypeError),
        (lambda: inclusion_proof([*LEAVES[:3], b"\x00" * 31], 0), ValueError),
    ],
)
def test_builders_reject_bad_arguments(call: Callable[[], object], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        call()


def test_root_hash_large_tree_is_iterative() -> None:
    # 2**16 + 3 leaves: deep enough that a naive recursion per level would be slow, not failing
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(2**16 + 3)]
    top = node_hash(root_hash(leaves[: 2**16]), root_hash(leaves[2**16 :]))
    assert root_hash(leaves) == top


# ---------------------------------------------------------------------------------------------
# Hypothesis properties on larger trees
# ---------------------------------------------------------------------------------------------

ROOTS: dict[int, bytes] = {}


def root_of(size: int) -> bytes:
    if size not in ROOTS:
        ROOTS[size] = root_hash(LEAVES[:size])
    return ROOTS[size]


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(min_value=1, max_value=2000))
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(min_value=1, max_value=2000))
    return draw(st.integers(min_value=1, max_value=new)), new


@settings(max_examples=150, deadline=None)
@given(size_and_index(), st.integers(min_value=1, max_value=2000))
def test_inclusion_property(case: tuple[int, int], other: int) -> None:
    size, index = case
    leaves, root = LEAVES[:size], root_of(size)
    proof = inclusion_proof(leaves, index)
    assert verify_inclusion(leaves[index], index, size, proof, root)
    other_index = other % size
    if other_index != index:
        assert not verify_inclusion(leaves[index], other_index, size, proof, root)
    if other != size:
        assert not verify_inclusion(leaves[index], index, other, proof, root_of(other))
        assert not verify_inclusion(leaves[index], index, size, proof, root_of(other))
        same_shape = index < other and (
            ref_inclusion_shape(index, other) == ref_inclusion_shape(index, size)
        )
        assert verify_inclusion(leaves[index], index, other, proof, root) == same_shape


@settings(max_examples=150, deadline=None)
@given(two_sizes(), st.integers(min_value=1, max_value=2000))
def test_consistency_property(sizes: tuple[int, int], other: int) -> None:
    old, new = sizes
    proof = consistency_proof(LEAVES[:new], old)
    assert verify_consistency(old, new, proof, root_of(old), root_of(new))
    if other not in (old, new):
        assert not verify_consistency(other, new, proof, root_of(other), root_of(new))
        assert not verify_consistency(old, other, proof, root_of(old), root_of(other))
        assert not verify_consistency(old, new, proof, root_of(other), root_of(new))
        assert not verify_consistency(old, new, proof, root_of(old), root_of(other))


# ---------------------------------------------------------------------------------------------
# Systematic corruption
# ---------------------------------------------------------------------------------------------

CORRUPTION_SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 129]


def sample_positions(size: int, rng: random.Random) -> list[int]:
    picks = {0, size - 1, size // 2, rng.randrange(size), rng.randrange(size)}
    return sorted(p for p in picks if 0 <= p < size)


def proof_variants(proof: list[bytes], filler: bytes) -> list[list[bytes]]:
    """Structurally corrupted proofs: every element bit-flipped, truncated, extended, swapped."""
    out: list[list[bytes]] = []
    for i, element in enumerate(proof):
        out.extend([*proof[:i], bad, *proof[i + 1 :]] for bad in all_bit_flips(element))
    out.extend(proof[:cut] for cut in range(len(proof)))
    out.append([*proof, filler])
    out.append([filler, *proof])
    if proof:
        out.append([*proof, proof[-1]])
    out.extend(
        [*proof[:i], proof[i + 1], proof[i], *proof[i + 2 :]]
        for i in range(len(proof) - 1)
        if proof[i] != proof[i + 1]
    )
    return out


@pytest.mark.parametrize("size", CORRUPTION_SIZES)
def test_inclusion_corruption_fails(size: int) -> None:
    rng = random.Random(size)
    leaves, root = LEAVES[:size], root_of(size)
    filler = leaf_hash(b"filler")
    for index in sample_positions(size, rng):
        leaf, proof = leaves[index], inclusion_proof(leaves, index)
        assert verify_inclusion(leaf, index, size, proof, root)
        for bad_proof in proof_variants(proof, filler):
            assert not verify_inclusion(leaf, index, size, bad_proof, root)
        for bad_leaf in all_bit_flips(leaf):
            assert not verify_inclusion(bad_leaf, index, size, proof, root)
        for bad_root in all_bit_flips(root):
            assert not verify_inclusion(leaf, index, size, proof, bad_root)
        for bad_size in (size - 1, size + 1):
            assert not verify_inclusion(leaf, index, bad_size, proof, root_of(bad_size))
            same_shape = index < bad_size and (
                ref_inclusion_shape(index, bad_size) == ref_inclusion_shape(index, size)
            )
            assert verify_inclusion(leaf, index, bad_size, proof, root) == same_shape
        for bad_index in (index - 1, index + 1):
            assert not verify_inclusion(leaf, bad_index, size, proof, root)


@pytest.mark.parametrize("size", CORRUPTION_SIZES[1:])
def test_consistency_corruption_fails(size: int) -> None:
    rng = random.Random(size)
    leaves, new_root = LEAVES[:size], root_of(size)
    filler = leaf_hash(b"filler")
    olds = sorted({o for o in sample_positions(size, rng) if 0 < o < size} | {1, size - 1})
    for old in olds:
        old_root, proof = root_of(old), consistency_proof(leaves, old)
        assert verify_consistency(old, size, proof, old_root, new_root)
        for bad_proof in proof_variants(proof, filler):
            assert not verify_consistency(old, size, bad_proof, old_root, new_root)
        for bad_old_root in all_bit_flips(old_root):
            assert not verify_consistency(old, size, proof, bad_old_root, new_root)
        for bad_new_root in all_bit_flips(new_root):
            assert not verify_consistency(old, size, proof, old_root, bad_new_root)
        for bad_old, bad_new in (
            (old - 1, size),
            (old + 1, size),
            (old, size - 1),
            (old, size + 1),
        ):
            right_roots = root_of(bad_old), root_of(bad_new)
            assert not verify_consistency(bad_old, bad_new, proof, *right_roots)
            same_shape = 0 < bad_old < bad_new and (
                ref_consistency_shape(bad_old, bad_new) == ref_consistency_shape(old, size)
            )
            assert verify_consistency(bad_old, bad_new, proof, old_root, new_root) == same_shape


# ---------------------------------------------------------------------------------------------
# Malformed input: False, never an exception
# ---------------------------------------------------------------------------------------------


class ExplodingSequence(Sequence[bytes]):
    def __getitem__(self, i: Any) -> Any:
        raise RuntimeError("boom")

    def __len__(self) -> int:
        raise RuntimeError("boom")


H = LEAVES[0]
SHORT = H[:31]
LONG = H + b"\x00"
BAD_HASHES: list[Any] = [
    None,
    SHORT,
    LONG,
    b"",
    H.hex(),
    bytearray(H),
    memoryview(H),
    0,
    [H],
    list(H),
]
BAD_INTS: list[Any] = [-1, -(2**70), None, 1.0, "1", True, False, b"1", 2**70]
BAD_PROOFS: list[Any] = [
    None,
    H,
    H.hex(),
    b"".join([H, H]),
    [SHORT],
    [LONG],
    [None],
    [H, "x" * 32],
    [bytearray(H)],
    {H},
    5,
    ExplodingSequence(),
    iter([H]),
    [H, [H]],
]


def test_verify_inclusion_malformed_returns_false() -> None:
    leaves, root = LEAVES[:6], root_of(6)
    proof, index = inclusion_proof(leaves, 4), 4
    good = (leaves[index], index, 6, proof, root)
    assert verify_inclusion(*good)
    for pos, bad_values in (
        (0, BAD_HASHES),
        (1, BAD_INTS),
        (2, BAD_INTS),
        (3, BAD_PROOFS),
        (4, BAD_HASHES),
    ):
        for bad in bad_values:
            args: list[Any] = list(good)
            args[pos] = bad
            assert verify_inclusion(*args) is False, (pos, bad)
    # index >= size, including the size-0 tree
    assert verify_inclusion(leaves[0], 6, 6, proof, root) is False
    assert verify_inclusion(leaves[0], 0, 0, [], EMPTY_ROOT) is False
    # proofs given as a tuple are fine
    assert verify_inclusion(leaves[index], index, 6, tuple(proof), root)


def test_verify_consistency_malformed_returns_false() -> None:
    old_root, new_root = root_of(3), root_of(7)
    proof = consistency_proof(LEAVES[:7], 3)
    good = (3, 7, proof, old_root, new_root)
    assert verify_consistency(*good)
    for pos, bad_values in (
        (0, BAD_INTS),
        (1, BAD_INTS),
        (2, BAD_PROOFS),
        (3, BAD_HASHES),
        (4, BAD_HASHES),
    ):
        for bad in bad_values:
            args: list[Any] = list(good)
            args[pos] = bad
            assert verify_consistency(*args) is False, (pos, bad)
    # malformed edge-case inputs
    assert verify_consistency(0, 7, [], SHORT, new_root) is False
    assert verify_consistency(0, 7, [], EMPTY_ROOT, SHORT) is False
    assert verify_consistency(7, 7, [], SHORT, SHORT) is False
    assert verify_consistency(-1, -1, [], new_root, new_root) is False
    assert verify_consistency(3, 7, tuple(proof), old_root, new_root)
