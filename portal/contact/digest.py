"""The opt-in daily digest: yesterday's disclosures of a volunteer's data, counted, never listed.

A volunteer who ticks "Send me a daily summary" gets one message a day, by each channel they
chose (email, text), counting the disclosures of their data on the London day before and linking
to their disclosures page; never one message per request. Disclosures for
``communication.notification`` (the messages themselves) are not counted, or each digest would
cause the next. A day with nothing disclosed sends nothing. The idempotency key is the volunteer
and the day, so running it twice (two workers, a retry) writes one message.

Run by ``esp-portal messages digest`` (for yesterday, or ``--day``), e.g. from cron or the
worker's periodic jobs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import structlog

from ledger.tables import LedgerEntry
from portal.clock import LONDON
from portal.messages.outbox import enqueue
from portal.organisations.tables import Volunteer
from portal.settings import Settings

log = structlog.get_logger(__name__)

NOTIFICATION = "communication.notification"


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants a London calendar day starts and ends."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=LONDON)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=LONDON)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def enqueue_digests(settings: Settings, day: dt.date) -> int:
    """Write the digest of ``day`` for every volunteer who asked for one; returns how many."""
    volunteers = await Volunteer.select(
        Volunteer.id, Volunteer.subject, Volunteer.contact_by_email, Volunteer.contact_by_sms
    ).where(Volunteer.disclosure_digest == True)  # noqa: E712
    if not volunteers:
        return 0
    start, end = day_bounds(day)
    by_subject = {str(v["subject"]): v for v in volunteers}
    counts: dict[str, int] = defaultdict(int)
    recipients: dict[str, set[str]] = defaultdict(set)
    subjects = list(by_subject)
    for at in range(0, len(subjects), 400):
        rows = await LedgerEntry.select(LedgerEntry.subject, LedgerEntry.recipient_org).where(
            (LedgerEntry.kind == "disclosure")
            & (LedgerEntry.purpose != NOTIFICATION)
            & (LedgerEntry.logged_at >= start)
            & (LedgerEntry.logged_at < end)
            & LedgerEntry.subject.is_in(subjects[at : at + 400])
        )
        for row in rows:
            counts[row["subject"]] += 1
            recipients[row["subject"]].add(row["recipient_org"])
    written = 0
    base = settings.base_url
    async with Volunteer._meta.db.transaction():
        for subject, count in counts.items():
            volunteer = by_subject[subject]
            context = {
                "day": f"{day.day} {day:%B %Y}",
                "count": count,
                "organisations": len(recipients[subject]),
                "link": f"{base}/volunteer/disclosures",
                "preferences_url": f"{base}/volunteer/contact",
            }
            for channel in ("email", "sms"):
                if not volunteer[f"contact_by_{channel}"]:
                    continue
                await enqueue(
                    settings,
                    kind="disclosure_digest",
                    channel=channel,
                    volunteer_id=str(volunteer["id"]),
                    idempotency_key=f"digest:{volunteer['id']}:{day.isoformat()}:{channel}",
                    context=context,
                )
                written += 1
    log.info("messages.digest", day=day.isoformat(), volunteers=len(counts), messages=written)
    return written
