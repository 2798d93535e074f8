"""Response bodies of the ``/ledger`` routes, exactly as SPEC.md spells them (standard base64)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ledger.proofs import ConsistencyProof, InclusionProof, b64
from ledger.store import StoredEntry

_HASH = "standard base64 of a 32-byte SHA-256 hash"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InclusionProofOut(_Out):
    """RFC 9162 inclusion proof: hash ``leaf_hash`` up ``inclusion_path`` to the tree's root."""

    leaf_index: int = Field(ge=0)
    tree_size: int = Field(ge=1)
    leaf_hash: str = Field(description=_HASH)
    inclusion_path: list[str] = Field(description=f"sibling hashes, deepest first; each {_HASH}")

    @classmethod
    def of(cls, proof: InclusionProof) -> InclusionProofOut:
        return cls.model_validate(proof.to_json())


class ConsistencyProofOut(_Out):
    """RFC 9162 consistency proof: the tree of ``tree_size_2`` extends that of ``tree_size_1``."""

    tree_size_1: int = Field(ge=0)
    tree_size_2: int = Field(ge=0)
    consistency_path: list[str] = Field(description=f"each {_HASH}")

    @classmethod
    def of(cls, proof: ConsistencyProof) -> ConsistencyProofOut:
        return cls.model_validate(proof.to_json())


class LedgerEntryDocumentOut(_Out):
    """One stored entry: its canonical JSON bytes (RFC 8785) hash to ``leaf_hash``."""

    index: int = Field(ge=0)
    entry: dict[str, Any] = Field(description="the entry object as stored (canonical JSON)")
    leaf_hash: str = Field(description=_HASH)

    @classmethod
    def of(cls, stored: StoredEntry) -> LedgerEntryDocumentOut:
        return cls(index=stored.index, entry=stored.document(), leaf_hash=b64(stored.leaf_hash))
