"""Fixtures of the erasure tests: the shared started ledger and owner SQL (both engines)."""

from tests.support.portal_ledger import ledger, owner_sql

__all__ = ["ledger", "owner_sql"]
