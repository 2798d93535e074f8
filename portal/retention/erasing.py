"""The erase step: each row kind's rows past a recorded step's cutoff go, or are reduced.

Runs inside the approval's write transaction, after the run is marked approved, so the owner
procedure for refused attempts finds its step in an approved run (:mod:`portal.retention.tables`).

- ``refusals``: refused attempts are append-only. The rows go through the owner's procedure a
  migration defines (PostgreSQL: ``esp_portal_retention_erase``, SECURITY DEFINER; SQLite: the
  trigger a step's move to ``erasing`` fires, lifting the refusal table's delete trigger with a
  marker row of its own transaction); the application deletes nothing itself.
- ``messages``: the message row stays for the DPO's counts (template, channel, status, times,
  ledger entry); the person (``volunteer``), the address, the wording and the key naming the
  event are emptied.
- ``contact``: a leaver's phone number and preferences are emptied and the address replaced by
  one that can never be delivered (the column is unique and required).
- ``accounts``: a leaver's portal account is closed: inactive, no password or authenticator
  secret, its email replaced likewise, every session revoked.
- ``erasure-requests``: a request decided before the cutoff is reduced exactly as an erasure of
  its person reduces it (:data:`portal.erasure.plan.REQUEST_REDUCED`): the person, their words and
  their own account go; the dates, status and decision stay. Open requests are never touched.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence

from portal.accounts.tables import UserAccount, UserSession
from portal.erasure.plan import REQUEST_REDUCED
from portal.erasure.tables import ErasureRequest
from portal.messages.tables import OutboxMessage
from portal.organisations.tables import Volunteer
from portal.retention.finding import (
    MESSAGES_WHERE,
    REDUCED_DOMAIN,
    REQUESTS_WHERE,
    Leaver,
    accounts_where,
    contact_where,
    left_before,
)
from portal.retention.tables import RetentionStep


async def _refusals(
    step_id: str, cutoff: dt.datetime, _: Sequence[Leaver], now: dt.datetime
) -> int:
    if RetentionStep._meta.db.engine_type == "postgres":
        rows = await RetentionStep.raw(
            "SELECT esp_portal_retention_erase({}) AS gone", uuid.UUID(step_id)
        )
        return int(rows[0]["gone"])
    # SQLite: moving the step to erasing fires the migration's procedure (a trigger), which
    # counts, deletes and marks the step erased
    await RetentionStep.update({RetentionStep.state: "erasing"}).where(RetentionStep.id == step_id)
    row = (
        await RetentionStep.select(RetentionStep.erased).where(RetentionStep.id == step_id).first()
    )
    return int(row["erased"]) if row and row["erased"] is not None else 0


#: Constant text (the values are bound): the same condition the dry run counts with.
REDUCE_MESSAGES = (
    "UPDATE outbox SET volunteer = '', recipient = '', subject = '', body_text = '', "  # noqa: S608
    "body_html = '', provider_ref = '', last_error = '', "
    "idempotency_key = 'retention:' || CAST(id AS TEXT), purged_at = {} "
    f"WHERE {MESSAGES_WHERE} RETURNING id"
)


async def _messages(
    step_id: str, cutoff: dt.datetime, _: Sequence[Leaver], now: dt.datetime
) -> int:
    rows = await OutboxMessage.raw(REDUCE_MESSAGES, now, cutoff)
    return len(rows)


async def _contact(
    step_id: str, cutoff: dt.datetime, everyone: Sequence[Leaver], now: dt.datetime
) -> int:
    gone = left_before(everyone, cutoff.date())
    total = 0
    for volunteer in gone:
        reduced = (
            await Volunteer.update(
                {
                    Volunteer.email: f"{volunteer}{REDUCED_DOMAIN}",
                    Volunteer.phone: "",
                    Volunteer.contact_by_email: False,
                    Volunteer.contact_by_sms: False,
                    Volunteer.contact_by_phone: False,
                    Volunteer.disclosure_digest: False,
                }
            )
            .where(contact_where([volunteer]))
            .returning(Volunteer.id)
        )
        total += len(reduced)
    return total


async def _accounts(
    step_id: str, cutoff: dt.datetime, everyone: Sequence[Leaver], now: dt.datetime
) -> int:
    gone = left_before(everyone, cutoff.date())
    if not gone:
        return 0
    accounts = await UserAccount.select(UserAccount.id).where(accounts_where(gone))
    for account in accounts:
        await UserAccount.update(
            {
                UserAccount.email: f"{account['id']}{REDUCED_DOMAIN}",
                UserAccount.is_active: False,
                UserAccount.password_hash: None,
                UserAccount.totp_secret: None,
            }
        ).where(UserAccount.id == account["id"])
        await UserSession.update({UserSession.revoked_at: now}).where(
            (UserSession.user == account["id"]) & UserSession.revoked_at.is_null()
        )
    return len(accounts)


#: Constant text (the cutoff is bound): the condition the dry run counts with.
REDUCE_REQUESTS = (
    f"UPDATE erasure_request SET {REQUEST_REDUCED} WHERE {REQUESTS_WHERE} RETURNING id"  # noqa: S608
)


async def _erasure_requests(
    step_id: str, cutoff: dt.datetime, _: Sequence[Leaver], now: dt.datetime
) -> int:
    rows = await ErasureRequest.raw(REDUCE_REQUESTS, cutoff)
    return len(rows)


Eraser = Callable[[str, dt.datetime, Sequence[Leaver], dt.datetime], Awaitable[int]]

#: One eraser per row kind of :data:`portal.retention.schedule.ROW_KINDS`.
ERASERS: dict[str, Eraser] = {
    "refusals": _refusals,
    "messages": _messages,
    "contact": _contact,
    "accounts": _accounts,
    "erasure-requests": _erasure_requests,
}
