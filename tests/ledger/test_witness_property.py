"""Property: whatever a log submits, in any order, a witness's cosignatures form one history.

Three branches of a log share prefixes of random length and then diverge (a split view). A
random sequence of submissions from any branch, with honestly computed proofs and honest or
made-up old sizes, goes to one witness (its real decision code and its own SQLite file). Every
checkpoint it cosigns must be a prefix of every later one, and sizes never go down.
"""

from __future__ import annotations

import base64
import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import CosignatureSigner
from ledger.note import NoteSigner
from ledger.witness.core import Witness
from ledger.witness.state import WitnessState

ORIGIN = "log.test/property"
LOG = NoteSigner.generate(ORIGIN)
MAX = 12


def _branch(number: int, fork_at: int) -> list[bytes]:
    return [f"{number if i >= fork_at else 0}-{i}".encode() for i in range(MAX)]


@settings(max_examples=60, deadline=None)
@given(
    forks=st.tuples(st.integers(0, MAX), st.integers(0, MAX)),
    actions=st.lists(
        st.tuples(
            st.integers(0, 2), st.integers(0, MAX), st.one_of(st.none(), st.integers(0, MAX))
        ),
        min_size=1,
        max_size=25,
    ),
)
def test_cosigned_checkpoints_form_one_history(
    forks: tuple[int, int], actions: list[tuple[int, int, int | None]]
) -> None:
    branches = [_branch(0, MAX), _branch(1, forks[0]), _branch(2, forks[1])]
    with tempfile.TemporaryDirectory() as directory:
        state = WitnessState(Path(directory) / "w.db")
        witness = Witness(CosignatureSigner.generate("w.test"), [LOG.verifier()], state)
        cosigned: list[list[bytes]] = []
        try:
            for branch, size, claimed_old in actions:
                leaves = branches[branch][:size]
                hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
                # The honest old size is what the witness holds; otherwise a made-up one.
                old = state.get(ORIGIN).size if claimed_old is None else claimed_old
                proof = merkle.consistency_proof(hashes, old) if old <= size else []
                note = sign_checkpoint(Checkpoint(ORIGIN, size, merkle.root_hash(hashes)), LOG)
                body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
                answer = witness.add_checkpoint((body + "\n" + note).encode())
                assert answer.status in (200, 400, 409, 422), answer
                if answer.status == 200:
                    cosigned.append(leaves)
        finally:
            state.close()
    for earlier, later in itertools.pairwise(cosigned):
        assert len(earlier) <= len(later)
        assert later[: len(earlier)] == earlier, "the witness cosigned two diverging trees"
