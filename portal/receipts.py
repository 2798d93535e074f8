"""The receipt every API answer that appended to the ledger carries (SPEC.md: index, leaf hash,
tree size, inclusion path and the signed checkpoint it proves against). Shared by every domain
that ledgers something, so it depends on none of them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ledger.proofs import InclusionProof, Receipt


class ReceiptOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    """Proof that an entry is in the ledger (SPEC.md receipt): verify ``inclusion_path`` from
    ``leaf_hash`` at ``index`` against the root in the signed ``checkpoint`` of ``tree_size``."""

    index: int = Field(ge=0)
    leaf_hash: str = Field(description="standard base64 of the 32-byte RFC 9162 leaf hash")
    tree_size: int = Field(ge=1)
    inclusion_path: list[str]
    checkpoint: str = Field(description="C2SP signed note of the tlog checkpoint")

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptOut:
        return cls.model_validate(receipt.to_json())

    @classmethod
    def from_proof(cls, proof: InclusionProof, checkpoint: str) -> ReceiptOut:
        body = proof.to_json()
        return cls(
            index=proof.leaf_index,
            leaf_hash=body["leaf_hash"],
            tree_size=proof.tree_size,
            inclusion_path=body["inclusion_path"],
            checkpoint=checkpoint,
        )
