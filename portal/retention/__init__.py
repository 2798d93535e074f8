"""Retention: what has passed its time under the schedule (``portal/vocabulary/records.json``),
a dry run the DPO sees, and erasure on the DPO's approval (docs/RETENTION.md)."""
