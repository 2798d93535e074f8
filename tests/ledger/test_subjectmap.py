"""The subject map against its definition in docs/VERIFY.md §5 (computed by the test's own code).

Built incrementally (as the sequencer does, in place) or in one pass, the root is the spec's;
the path of every present key proves its value, of an absent key its absence; any change of a
sibling, the leaf or the value fails; and roots asked for between updates are right too.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.subjectmap import MapProof, MapProofError, SubjectMap, subject_key, verify_map_proof
from tests.support.spec_completeness import spec_key, spec_map_root

keys = st.binary(min_size=32, max_size=32)


@settings(max_examples=150, deadline=None)
@given(
    updates=st.lists(st.tuples(keys, st.integers(0, 2**64 - 1)), max_size=40),
    absent=keys,
)
def test_roots_and_paths_follow_the_definition(
    updates: list[tuple[bytes, int]], absent: bytes
) -> None:
    incremental = SubjectMap()
    for count, (key, value) in enumerate(updates):
        assert incremental.put(key, value) == dict(updates[:count]).get(key)
        if count % 7 == 0:  # roots asked for now and then: only changed paths are rehashed
            assert incremental.root() == spec_map_root(dict(updates[: count + 1]))
    expected = dict(updates)
    root = spec_map_root(expected)
    assert incremental.root() == root
    assert SubjectMap.build(updates).root() == root
    for key, value in expected.items():
        assert incremental.get(key) == value
        assert verify_map_proof(incremental.prove(key), root) == value
    if absent not in expected:
        assert incremental.get(absent) is None
        assert verify_map_proof(incremental.prove(absent), root) is None


@settings(max_examples=80, deadline=None)
@given(
    subjects=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30, unique=True),
    pick=st.integers(0, 29),
    flip=st.integers(0, 255),
)
def test_any_change_to_a_path_fails(subjects: list[str], pick: int, flip: int) -> None:
    subject_map = SubjectMap.build((subject_key(s), i) for i, s in enumerate(subjects))
    root = subject_map.root()
    subject = subjects[pick % len(subjects)]
    assert subject_key(subject) == spec_key(subject)
    proof = subject_map.prove(subject_key(subject))
    assert proof.leaf is not None
    forged_value = MapProof(proof.key, proof.siblings, (proof.leaf[0], proof.leaf[1] + 1))
    with pytest.raises(MapProofError):
        verify_map_proof(forged_value, root)
    absent = MapProof(proof.key, proof.siblings, None)
    with pytest.raises(MapProofError):
        verify_map_proof(absent, root)
    if proof.siblings:
        at = flip % len(proof.siblings)
        sibling = bytearray(proof.siblings[at])
        sibling[flip % 32] ^= 1
        siblings = (*proof.siblings[:at], bytes(sibling), *proof.siblings[at + 1 :])
        with pytest.raises(MapProofError):
            verify_map_proof(MapProof(proof.key, siblings, proof.leaf), root)
        shorter = MapProof(proof.key, proof.siblings[1:], proof.leaf)
        with pytest.raises(MapProofError):
            verify_map_proof(shorter, root)


def test_keys_sharing_a_long_prefix() -> None:
    base = hashlib.sha256(b"x").digest()
    near = base[:31] + bytes([base[31] ^ 1])  # differs in the very last bit
    subject_map = SubjectMap()
    subject_map.put(base, 1)
    subject_map.put(near, 2)
    assert subject_map.root() == spec_map_root({base: 1, near: 2})
    assert len(subject_map.prove(base).siblings) == 256
    assert verify_map_proof(subject_map.prove(near), subject_map.root()) == 2
