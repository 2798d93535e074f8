"""A world for the message tests: an employer with a leave desk, a volunteer who works there and
consents to leave verification, a leave policy, and the real gate on a started ledger.

The desk is the employer's recorded contact address; it has an HR account too, so the desk is
not mailed (the recorded address is only a fallback: ``portal.accounts.contacts``)."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from ledger import Ledger, merkle
from ledger.checkpoint import open_checkpoint
from ledger.note import load_or_create_signing_key
from portal.accounts.roles import Role
from portal.disclosure.recipient import Recipient
from portal.gates import build_gate
from portal.hours import leave
from portal.hours.schemas import LeavePolicyIn, LeaveRequestIn
from portal.organisations.tables import Organisation, OrganisationKind, Volunteer
from portal.settings import Settings
from tests.hours import hours_world as w
from tests.support.auth import TestUser

LEAVE_CATEGORIES = ["identity", "status", "hours.summary", "hours.detail"]
DESK = "leave-desk@employer.example"
NAME = "Pat Messageable"
PHONE = "07700 900123"


@dataclass
class World:
    settings: Settings
    ledger: Ledger
    employer: str
    person: w.Person
    email: str
    hr: TestUser
    volunteer_user: TestUser

    @property
    def gate(self) -> Any:
        return build_gate(self.ledger, self.settings)

    def hr_recipient(self) -> Recipient:
        return Recipient("employer", self.employer, self.hr.id, "api")


async def build(
    settings: Settings,
    ledger: Ledger,
    *,
    email: bool = True,
    sms: bool = True,
    phone: bool = True,
    consent: bool = True,
) -> World:
    org = Organisation(
        name=f"Harbour Foods {uuid.uuid4().hex[:6]}",
        kind=OrganisationKind.EMPLOYER.value,
        contact_email=DESK,
    )
    await org.save()
    employer = str(org.id)
    await w.agreement(employer, {w.LEAVE: LEAVE_CATEGORIES})
    address = f"pat-{uuid.uuid4().hex[:8]}@volunteer.example"
    row = Volunteer(
        display_name=NAME,
        email=address,
        phone=PHONE,
        status="active",
        contact_by_email=email,
        contact_by_sms=sms,
        contact_by_phone=phone,
    )
    await row.save()
    person = w.Person(str(row.id), str(row.subject), NAME)
    await w.employ([person], employer)
    if consent:
        await w.consent([person], employer, LEAVE_CATEGORIES)
    hr = await w.employer_user(settings, employer)
    me = await w.volunteer_user(settings, person)
    month_start = dt.date.today().replace(day=1) - dt.timedelta(days=62)
    await leave.record_policy(
        LeavePolicyIn(
            employer_id=employer,
            unit="hours_per_month",
            amount=8,
            paid=True,
            rollover_months=2,
            starts_on=month_start.replace(day=1),
        ),
        "test",
    )
    return World(settings, ledger, employer, person, address, hr, me)


async def ask_for_leave(world: World, day: int = 3) -> str:
    today = dt.date.today()
    start = dt.datetime(today.year, today.month, day, 9, tzinfo=dt.UTC)
    made = await leave.create_request(
        world.person.id,
        LeaveRequestIn(
            employer_id=world.employer,
            starts_at=start.isoformat(),
            ends_at=(start + dt.timedelta(hours=4)).isoformat(),
        ),
        world.volunteer_user.id,
        today,
        world.settings,
    )
    return made.id


def check_receipt(settings: Settings, receipt: dict[str, Any]) -> bool:
    """The receipt's path proves its leaf against the root of its signed checkpoint."""
    signer = load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)
    cp = open_checkpoint(receipt["checkpoint"], signer.verifier(), settings.ledger_origin)
    return cp.size == receipt["tree_size"] and merkle.verify_inclusion(
        base64.b64decode(receipt["leaf_hash"]),
        receipt["index"],
        receipt["tree_size"],
        [base64.b64decode(h) for h in receipt["inclusion_path"]],
        cp.root_hash,
    )


__all__ = ["Role"]
