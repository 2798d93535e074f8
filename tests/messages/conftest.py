"""Fixtures of the message tests: the shared started ledger and owner SQL."""

from tests.support.portal_ledger import ledger, owner_sql

__all__ = ["ledger", "owner_sql"]
