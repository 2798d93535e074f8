"""Fixtures of the recipient-kind tests: the shared started ledger, owner SQL and served app."""

from tests.support.portal_ledger import client, ledger, owner_sql

__all__ = ["client", "ledger", "owner_sql"]
