"""Fixtures of the coordinator tests: owner SQL (for the append-only checks)."""

from tests.support.portal_ledger import owner_sql

__all__ = ["owner_sql"]
