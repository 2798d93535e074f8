"""Erasure of one person's data (UK GDPR Art. 17 and the retention schedule) that the
append-only ledger survives: see docs/ERASURE.md."""
