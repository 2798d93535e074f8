"""Fixtures of the message tests: the shared started ledger."""

from tests.support.portal_ledger import ledger

__all__ = ["ledger"]
