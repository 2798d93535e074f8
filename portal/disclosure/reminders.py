"""Reminding a recipient of a withdrawal notice it has not acknowledged (a periodic job).

A notice unacknowledged ``ESP_WITHDRAWAL_REMINDER_DAYS`` (7) after it was issued is brought to the
contacts of the organisation it is addressed to (an employer, another police force) once: the
message's idempotency key is the notice's, so however often the job runs (or however many workers
run it) each contact gets one reminder per notice. Who the contacts are is
:func:`portal.accounts.contacts.organisation_contacts`, the rule the notice itself was sent by. It
names the purpose and the date, not the volunteer: the contact reads the notice itself signed in.
"""

from __future__ import annotations

import datetime as dt

import structlog

from portal.accounts.contacts import contact_key, organisation_contacts
from portal.accounts.roles import NOTICE_PATHS
from portal.clock import local_date
from portal.consent.tables import WithdrawalAcknowledgement, WithdrawalNotice
from portal.dbutil import as_moment, write_transaction
from portal.messages.tables import OutboxMessage
from portal.settings import Settings
from portal.staffmail import ORGANISATION_AUDIENCES, StaffAddress, send_to
from portal.vocabulary import vocabulary

log = structlog.get_logger(__name__)

#: Whose consent it was, as each kind of recipient knows them (the reminder's words).
WHO: dict[str, str] = {
    "employer": "a member of your staff who volunteers as a Special Constable",
    "police_force": "a Special Constable or applicant the force shared with yours",
    "partner": "an applicant whose application you process for the force",
}


async def remind_unacknowledged(settings: Settings, now: dt.datetime) -> int:
    """Write a reminder for each notice unacknowledged past the setting; how many messages."""
    due = now - dt.timedelta(days=settings.withdrawal_reminder_days)
    acked = WithdrawalAcknowledgement.select(WithdrawalAcknowledgement.notice)
    rows = await (
        WithdrawalNotice.select(
            WithdrawalNotice.id,
            WithdrawalNotice.employer,
            WithdrawalNotice.purpose,
            WithdrawalNotice.issued_at,
            WithdrawalNotice.employer.name,
            WithdrawalNotice.employer.kind,
        )
        .where((WithdrawalNotice.issued_at <= due) & WithdrawalNotice.id.not_in(acked))
        .order_by(WithdrawalNotice.issued_at)
    )
    written = 0
    for row in rows:
        employer = str(row["employer"])
        purpose = vocabulary().purpose(row["purpose"])
        kind = str(row["employer.kind"])
        async with write_transaction(OutboxMessage):
            written += await send_to(
                settings,
                [
                    StaffAddress(contact_key(address), address)
                    for address in await organisation_contacts(employer)
                ],
                kind="withdrawal_reminder",
                event_key=f"withdrawal-reminder:{row['id']}",
                context={
                    "employer": row["employer.name"],
                    "purpose": purpose.label if purpose else row["purpose"],
                    "issued_on": local_date(as_moment(row["issued_at"])).strftime("%-d %B %Y"),
                    "days": settings.withdrawal_reminder_days,
                    "who": WHO.get(kind, WHO["employer"]),
                    "link": settings.base_url + NOTICE_PATHS.get(kind, NOTICE_PATHS["employer"]),
                },
                audience=ORGANISATION_AUDIENCES.get(kind, ORGANISATION_AUDIENCES["employer"]),
            )
    log.info("notices.reminders_written", notices=len(rows), messages=written)
    return written
