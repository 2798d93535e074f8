"""The portal's ledger: built once from settings, and one way to record rows with their entries.

:func:`build_ledger` is the only place a :class:`~ledger.Ledger` is constructed for the portal
(the app and the demo loader), so every setting (``ESP_LEDGER_BATCH_MAX`` included) reaches it.
:func:`recording` is how a service commits its own rows atomically with their ledger entries;
a failure of either is answered here, once, as 503 with nothing changed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from piccolo.engine.base import Engine

from ledger import Ledger, LedgerTransaction
from ledger.note import load_or_create_signing_key
from portal.dbutil import is_unique_violation
from portal.errors import PortalError, ServiceUnavailable
from portal.settings import Settings

log = structlog.get_logger(__name__)

LEDGER_UNAVAILABLE = (
    "The change could not be recorded in the ledger; nothing was changed. Try again later."
)


def build_ledger(settings: Settings, engine: Engine[Any]) -> Ledger:
    """The ledger on ``engine``, signing with the configured key, sized by the settings."""
    signer = load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)
    return Ledger(
        engine=engine,
        signer=signer,
        origin=settings.ledger_origin,
        batch_max=settings.ledger_batch_max,
        lock_timeout=settings.ledger_lock_timeout_seconds,
    )


@asynccontextmanager
async def recording(
    ledger: Ledger,
    event: str,
    *,
    unavailable: str = LEDGER_UNAVAILABLE,
    on_duplicate: Callable[[], PortalError] | None = None,
    **ids: str,
) -> AsyncIterator[LedgerTransaction]:
    """A write transaction whose ledger entries and rows commit together, or not at all.

    The block's own :class:`PortalError` (a conflict found inside it) passes through unchanged.
    Any other failure rolls everything back and is logged as ``event`` with ``ids`` (ids only,
    never personal data): a unique violation becomes ``on_duplicate()`` when given (a race lost
    to another writer), anything else :class:`ServiceUnavailable` with ``unavailable``.
    """
    try:
        async with ledger.appending() as tx:
            yield tx
    except PortalError:
        raise
    except Exception as exc:
        if on_duplicate is not None and is_unique_violation(exc):
            raise on_duplicate() from None
        log.error(event, error=type(exc).__name__, **ids)
        raise ServiceUnavailable(unavailable) from None
