"""The ledger's exception tree.

Callers need to tell three situations apart and react differently: the write did not happen (fail
closed: do not disclose, answer 503), the caller asked for something that cannot exist (a client
error naming the parameter), and the stored log is inconsistent (an operator must run verify).
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error raised on purpose by the ledger."""


class LedgerWriteError(LedgerError):
    """An append was not committed; nothing of it is visible in the log.

    When the commit itself fails (e.g. the connection drops during COMMIT) the database may still
    have committed it; the caller must treat the append as failed either way (fail closed), and the
    entries, if they exist, are simply entries without a returned receipt.
    """


class LedgerClosedError(LedgerWriteError):
    """The ledger is closed (or its writer stopped) and accepts no more appends."""


class LedgerUsageError(LedgerError, TypeError):
    """The ledger was called in a way that cannot be safe, e.g. outside a required transaction."""


class LedgerRangeError(LedgerError, ValueError):
    """A parameter is outside what the log holds: ``field`` names it for the client."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class LedgerNotFoundError(LedgerError, LookupError):
    """Nothing is stored for a valid request (e.g. no checkpoint was issued at that size)."""


class LedgerCorruptError(LedgerError):
    """The stored log contradicts itself (a node or row is missing); run ``ledger verify``."""


class VerificationRunningError(LedgerError):
    """A full verification is already running in this process; a second would replay the
    whole log again beside it for the same answer, so it is refused rather than started."""
