"""What was sent to whom, for the people entitled to see it.

- The volunteer: every message to them (not the address: they know it), with its status and,
  once sent, the ledger entry that recorded giving their address to the provider.
- The DPO: counts by message kind and status, and the messages that failed or were refused,
  by id only (no address, no wording).
- The coordinator: the "people to call" list (a volunteer who chose phone calls), with the name
  and number the force holds (the force reading its own records: not a disclosure) and why.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import structlog

from portal.clock import utcnow
from portal.dbutil import as_moment
from portal.errors import Conflict, NotFound
from portal.ids import parse_id
from portal.messages.tables import OutboxMessage
from portal.organisations.tables import Organisation, Volunteer

log = structlog.get_logger(__name__)

#: What each message kind is about, in the words the pages use.
KIND_LABELS = {
    "leave_decided": "Your ESP leave decision",
    "leave_requested": "A new ESP leave request",
    "withdrawal_notice": "A withdrawal notice",
    "password_reset": "Password reset link",
    "invitation": "Account invitation",
    "disclosure_digest": "Daily summary of disclosures",
}
CHANNEL_LABELS = {"email": "Email", "sms": "Text message", "phone": "Phone call"}
STATUS_LABELS = {
    "pending": "Waiting to be sent",
    "sending": "Being sent",
    "sent": "Sent",
    "failed": "Could not be sent",
    "refused": "Not sent: your preferences or the rules did not allow it",
    "to_call": "To be called",
    "called": "Called",
}


@dataclass(frozen=True)
class ContactLogItem:
    id: str
    kind: str
    channel: str
    status: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    subject: str
    body: str
    provider: str
    ledger_index: int | None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


async def _names(ids: set[str]) -> dict[str, str]:
    keys = [k for k in (parse_id(i) for i in ids) if k]
    if not keys:
        return {}
    rows = await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.id.is_in(keys)
    )
    return {str(r["id"]): str(r["name"]) for r in rows}


async def volunteer_log(volunteer_id: str, limit: int = 100) -> list[ContactLogItem]:
    """The messages to one volunteer, newest first."""
    rows = (
        await OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.template,
            OutboxMessage.channel,
            OutboxMessage.status,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
            OutboxMessage.subject,
            OutboxMessage.body_text,
            OutboxMessage.provider,
            OutboxMessage.ledger_index,
        )
        .where(OutboxMessage.volunteer == volunteer_id)
        .order_by(OutboxMessage.created_at, ascending=False)
        .limit(limit)
    )
    names = await _names({str(r["provider"]) for r in rows if r["provider"]})
    return [
        ContactLogItem(
            id=str(r["id"]),
            kind=r["template"],
            channel=r["channel"],
            status=r["status"],
            created_at=as_moment(r["created_at"]),
            sent_at=as_moment(r["sent_at"]) if r["sent_at"] else None,
            subject=r["subject"],
            body=r["body_text"],
            provider=names.get(str(r["provider"]), ""),
            ledger_index=r["ledger_index"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Failure:
    id: str
    kind: str
    channel: str
    status: str
    attempts: int
    error: str
    created_at: dt.datetime


@dataclass(frozen=True)
class DpoSummary:
    since: dt.datetime
    counts: list[tuple[str, str, str, int]]  # kind, channel, status, count
    failures: list[Failure]
    total: int


async def dpo_summary(days: int = 30, now: dt.datetime | None = None) -> DpoSummary:
    """Counts by kind, channel and status since ``days`` ago; failed and refused messages."""
    since = (now or utcnow()) - dt.timedelta(days=days)
    rows = await OutboxMessage.select(
        OutboxMessage.template, OutboxMessage.channel, OutboxMessage.status
    ).where(OutboxMessage.created_at >= since)
    counted = Counter((r["template"], r["channel"], r["status"]) for r in rows)
    failed = (
        await OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.template,
            OutboxMessage.channel,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.last_error,
            OutboxMessage.created_at,
        )
        .where(
            (OutboxMessage.created_at >= since) & OutboxMessage.status.is_in(["failed", "refused"])
        )
        .order_by(OutboxMessage.created_at, ascending=False)
        .limit(200)
    )
    return DpoSummary(
        since=since,
        counts=sorted((k, c, s, n) for (k, c, s), n in counted.items()),
        failures=[
            Failure(
                id=str(r["id"]),
                kind=r["template"],
                channel=r["channel"],
                status=r["status"],
                attempts=int(r["attempts"]),
                error=r["last_error"],
                created_at=as_moment(r["created_at"]),
            )
            for r in failed
        ],
        total=len(rows),
    )


@dataclass(frozen=True)
class Call:
    id: str
    volunteer_id: str
    name: str
    phone: str
    why: str
    created_at: dt.datetime


async def calls_to_make() -> list[Call]:
    """The coordinator's "people to call" list, oldest first."""
    rows = (
        await OutboxMessage.select(
            OutboxMessage.id,
            OutboxMessage.volunteer,
            OutboxMessage.body_text,
            OutboxMessage.created_at,
        )
        .where((OutboxMessage.channel == "phone") & (OutboxMessage.status == "to_call"))
        .order_by(OutboxMessage.created_at)
        .limit(500)
    )
    keys = [k for k in (parse_id(str(r["volunteer"])) for r in rows) if k]
    people: dict[str, Any] = {}
    if keys:
        found = await Volunteer.select(Volunteer.id, Volunteer.display_name, Volunteer.phone).where(
            Volunteer.id.is_in(keys)
        )
        people = {str(p["id"]): p for p in found}
    calls = []
    for r in rows:
        person = people.get(str(r["volunteer"]))
        if person is None:
            continue
        calls.append(
            Call(
                id=str(r["id"]),
                volunteer_id=str(r["volunteer"]),
                name=str(person["display_name"]),
                phone=str(person["phone"] or ""),
                why=r["body_text"],
                created_at=as_moment(r["created_at"]),
            )
        )
    return calls


async def mark_called(message_id: str, by: str) -> None:
    """Tick a call off the list (once)."""
    key = parse_id(message_id)
    if key is None:
        raise NotFound("No call on the list has this id")
    done = (
        await OutboxMessage.update(
            {OutboxMessage.status: "called", OutboxMessage.sent_at: utcnow()}
        )
        .where(
            (OutboxMessage.id == key)
            & (OutboxMessage.channel == "phone")
            & (OutboxMessage.status == "to_call")
        )
        .returning(OutboxMessage.id)
    )
    if not done:
        if await OutboxMessage.exists().where(
            (OutboxMessage.id == key) & (OutboxMessage.channel == "phone")
        ):
            raise Conflict("This call is already ticked off")
        raise NotFound("No call on the list has this id")
    log.info("messages.called", message_id=str(key), by=by)


#: What a message was for, as the end of "… was given to <provider> to send you …".
SENT_YOU = {
    "leave_decided": "the decision on your ESP leave request",
    "password_reset": "a password reset link",
    "invitation": "your account invitation",
    "disclosure_digest": "your daily summary of disclosures",
}


async def messages_recorded_at(indexes: list[int]) -> dict[int, str]:
    """What each message was for, by the ledger index recording its address."""
    if not indexes:
        return {}
    rows = await OutboxMessage.select(OutboxMessage.ledger_index, OutboxMessage.template).where(
        OutboxMessage.ledger_index.is_in(indexes)
    )
    return {int(r["ledger_index"]): SENT_YOU.get(r["template"], "a message") for r in rows}
