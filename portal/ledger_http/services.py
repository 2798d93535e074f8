"""Who may read a ledger entry, and the ledger's errors in the portal's terms.

Entries are pseudonymous but still say who received which categories of whose data and why, so
they are not public: the DPO may read any, a volunteer only those about themself. Everyone else
gets the same 404 as for an index that does not exist, so guessing indexes reveals nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog

from ledger import (
    Ledger,
    LedgerCorruptError,
    LedgerNotFoundError,
    LedgerRangeError,
    StoredEntry,
)
from portal.accounts.tables import Role
from portal.auth.identity import Identity
from portal.errors import InvalidInput, NotFound, ServiceUnavailable, Unauthenticated
from portal.organisations.tables import Volunteer

log = structlog.get_logger(__name__)

_NO_ENTRY = "No such ledger entry"


class BadLedgerParameter(InvalidInput):
    """A proof or checkpoint parameter the log cannot satisfy: a 400, naming the field."""

    status = 400
    title = "Invalid request"
    type_slug = "invalid-request"


@asynccontextmanager
async def ledger_errors() -> AsyncIterator[None]:
    """Turn the ledger's typed errors into the portal's problem details."""
    try:
        yield
    except LedgerRangeError as exc:
        raise BadLedgerParameter(
            exc.message, errors=[{"field": exc.field, "message": exc.message}]
        ) from None
    except LedgerNotFoundError as exc:
        raise NotFound(str(exc)) from None
    except LedgerCorruptError as exc:
        log.error("ledger.corrupt", error=str(exc))
        raise ServiceUnavailable("The ledger cannot answer this right now") from None


async def _subject_of(volunteer_id: str) -> str | None:
    try:
        key = uuid.UUID(volunteer_id)
    except ValueError:
        return None
    row = await Volunteer.select(Volunteer.subject).where(Volunteer.id == key).first()
    return str(row["subject"]) if row else None


def _parse_index(text: str) -> int:
    """The path's index as a non-negative integer, or a 400 naming the field."""
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise BadLedgerParameter(
            "index must be a non-negative integer",
            errors=[{"field": "index", "message": "must be a non-negative integer"}],
        )
    return int(text)


async def readable_entry(identity: Identity | None, ledger: Ledger, index_text: str) -> StoredEntry:
    """The entry at ``index`` if ``identity`` may read it; otherwise 401 or the one 404."""
    if identity is None:
        raise Unauthenticated("Sign in to read ledger entries")
    is_dpo = identity.via == "session" and identity.role == Role.DPO
    is_volunteer = (
        identity.via == "session"
        and identity.role == Role.VOLUNTEER
        and identity.volunteer_id is not None
    )
    if not (is_dpo or is_volunteer):
        raise NotFound(_NO_ENTRY)
    index = _parse_index(index_text)
    try:
        async with ledger_errors():
            entry = await ledger.get_entry(index)
    except BadLedgerParameter:
        raise NotFound(_NO_ENTRY) from None
    if is_dpo:
        return entry
    assert identity.volunteer_id is not None
    subject = await _subject_of(identity.volunteer_id)
    # The stored bytes are the truth (they are what is hashed), not the search column.
    if subject is None or entry.document().get("subject") != subject:
        raise NotFound(_NO_ENTRY)
    return entry
