"""What has passed its time in the database, under a :class:`~portal.retention.schedule.Plan`.

Read only: the dry run and the erase step both ask these questions, so the counts the DPO
approves and the rows the erase step removes are chosen by the same conditions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from portal.accounts.tables import UserAccount
from portal.dbutil import as_date
from portal.disclosure.tables import DisclosureRefusal
from portal.erasure.tables import ErasureRequest
from portal.messages.tables import OutboxMessage
from portal.organisations.tables import Volunteer, VolunteerStatus, VolunteerStatusChange
from portal.retention.schedule import Plan

#: A reduced contact address or account email ends with this (RFC 2606: never deliverable).
REDUCED_DOMAIN = "@retention.invalid"
#: Message states after which a message is history (pending ones are never touched).
FINISHED = ("sent", "failed", "refused", "called")


@dataclass(frozen=True)
class Leaver:
    volunteer: str
    left_on: dt.date
    served: bool


@dataclass(frozen=True)
class PersonDue:
    volunteer: str
    rule: str
    left_on: dt.date


async def leavers() -> list[Leaver]:
    """Everyone whose status is "left", with the day they last left and whether they ever served
    (a status change to serving). A leaver with no recorded change has no leaving day: skipped."""
    rows = await VolunteerStatusChange.select(
        VolunteerStatusChange.volunteer,
        VolunteerStatusChange.to_status,
        VolunteerStatusChange.effective_on,
    ).where(VolunteerStatusChange.volunteer._.status == VolunteerStatus.LEAVER.value)
    left: dict[str, dt.date] = {}
    served: set[str] = set()
    for row in rows:
        key = str(row["volunteer"])
        if row["to_status"] == VolunteerStatus.LEAVER.value:
            day = as_date(row["effective_on"])
            left[key] = max(day, left.get(key, day))
        elif row["to_status"] == VolunteerStatus.ACTIVE.value:
            served.add(key)
    return [Leaver(v, day, v in served) for v, day in sorted(left.items())]


def persons_due(plan: Plan, everyone: Sequence[Leaver]) -> list[PersonDue]:
    """Leavers whose whole record has passed its time: an application not taken forward, or a
    service record, kept for its period after they left (pure)."""
    due = []
    for leaver in everyone:
        rule = plan.served if leaver.served else plan.not_taken_forward
        if leaver.left_on < rule.left_before:
            due.append(PersonDue(leaver.volunteer, rule.rule, leaver.left_on))
    return due


def left_before(everyone: Sequence[Leaver], day: dt.date) -> list[str]:
    return [leaver.volunteer for leaver in everyone if leaver.left_on < day]


def refusals_where(cutoff: dt.datetime) -> Any:
    return DisclosureRefusal.occurred_at < cutoff


#: Finished messages to a person, written before the cutoff (``{}``), still naming them. Raw
#: SQL because the erase step writes a per-row key; the count uses the same text.
MESSAGES_WHERE = (
    "volunteer <> '' AND status IN ("
    + ", ".join(f"'{status}'" for status in FINISHED)
    + ") AND created_at < {}"
)


#: Decided erasure requests, decided before the cutoff (``{}``), still naming their person or
#: holding their words. Raw SQL like the messages: the count and the reduction use the same text.
REQUESTS_WHERE = (
    "status IN ('erased', 'refused') AND decided_at < {} "
    "AND (volunteer IS NOT NULL OR statement <> '')"
)


def contact_where(volunteers: Sequence[str]) -> Any:
    return Volunteer.id.is_in(list(volunteers)) & Volunteer.email.not_like(f"%{REDUCED_DOMAIN}")


def accounts_where(volunteers: Sequence[str]) -> Any:
    return UserAccount.volunteer.is_in(list(volunteers)) & UserAccount.email.not_like(
        f"%{REDUCED_DOMAIN}"
    )


async def count_rows(plan: Plan, everyone: Sequence[Leaver]) -> dict[str, int]:
    """How many rows of each row kind have passed their time."""
    found: dict[str, int] = {}
    refusals = plan.kind("refusals").cutoff
    messages = plan.kind("messages").cutoff
    contact = plan.kind("contact").cutoff_day
    accounts = plan.kind("accounts").cutoff_day
    assert refusals and messages and contact and accounts  # all four have a period
    found["refusals"] = await DisclosureRefusal.count().where(refusals_where(refusals))
    count = f"SELECT COUNT(*) AS n FROM outbox WHERE {MESSAGES_WHERE}"  # noqa: S608  (constant)
    rows = await OutboxMessage.raw(count, messages)
    found["messages"] = int(rows[0]["n"])
    count = f"SELECT COUNT(*) AS n FROM erasure_request WHERE {REQUESTS_WHERE}"  # noqa: S608
    requests = plan.kind("erasure-requests").cutoff
    assert requests is not None  # it has a period
    found["erasure-requests"] = int((await ErasureRequest.raw(count, requests))[0]["n"])
    gone = left_before(everyone, contact)
    found["contact"] = await Volunteer.count().where(contact_where(gone)) if gone else 0
    gone = left_before(everyone, accounts)
    found["accounts"] = await UserAccount.count().where(accounts_where(gone)) if gone else 0
    return found
