"""Fixtures of the hours tests: the shared started ledger (both engines)."""

from tests.support.portal_ledger import ledger

__all__ = ["ledger"]
