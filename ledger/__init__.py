"""Tamper-evident disclosure ledger: RFC 9162 Merkle tree, stored nodes, checkpoints.

The package never imports the portal. ``Ledger`` is the facade; the modules behind it keep the
concerns apart as Tessera does: ``merkle`` and ``nodes`` (pure tree arithmetic), ``note`` and
``checkpoint`` (signed C2SP checkpoints), ``entries`` (what is hashed), ``kinds`` (one
model per entry kind), ``store`` (SQL),
``sequencer`` (indexes under a lock), ``batcher`` (group commit), ``proofs`` (proofs from stored
nodes) and ``verify`` (the streaming audit).
"""

from .entries import Entry, EntryDraft
from .errors import (
    LedgerClosedError,
    LedgerCorruptError,
    LedgerError,
    LedgerNotFoundError,
    LedgerRangeError,
    LedgerUsageError,
    LedgerWriteError,
    VerificationRunningError,
)
from .kinds import (
    AgreementRecordedDraft,
    ConsentGivenDraft,
    ConsentWithdrawnDraft,
    DisclosureDraft,
    ErasureRecordedDraft,
    ErasureRequestDraft,
    NoticeAcknowledgedDraft,
    NoticeWithdrawalDraft,
    ObjectionDecidedDraft,
    ObjectionRaisedDraft,
    RetentionRunDraft,
    VolumeAlertAcknowledgedDraft,
)
from .proofs import ConsistencyProof, InclusionProof, Receipt
from .service import Ledger, LedgerTransaction
from .store import StoredEntry
from .verify import VerifyProblem, VerifyResult, verify

__all__ = [
    "AgreementRecordedDraft",
    "ConsentGivenDraft",
    "ConsentWithdrawnDraft",
    "ConsistencyProof",
    "DisclosureDraft",
    "Entry",
    "EntryDraft",
    "ErasureRecordedDraft",
    "ErasureRequestDraft",
    "InclusionProof",
    "Ledger",
    "LedgerClosedError",
    "LedgerCorruptError",
    "LedgerError",
    "LedgerNotFoundError",
    "LedgerRangeError",
    "LedgerTransaction",
    "LedgerUsageError",
    "LedgerWriteError",
    "NoticeAcknowledgedDraft",
    "NoticeWithdrawalDraft",
    "ObjectionDecidedDraft",
    "ObjectionRaisedDraft",
    "Receipt",
    "RetentionRunDraft",
    "StoredEntry",
    "VerificationRunningError",
    "VerifyProblem",
    "VerifyResult",
    "VolumeAlertAcknowledgedDraft",
    "verify",
]
