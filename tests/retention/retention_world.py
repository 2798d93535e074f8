"""A world with something of every row kind on either side of its cutoff, for a clock moved
forward: refusals, messages and leavers made at ``BASE``, the run's clock ``LATER``. (The
command-line tests, whose clock cannot move, build the same world two years and a day back.)

At ``LATER`` (two years and a day after ``BASE``):

- refusals: one made at ``BASE`` is past two years; one made a month before ``LATER`` is not;
- messages: one sent at ``BASE`` is past 90 days; one sent 30 days before ``LATER`` is not, and
  one still pending at ``BASE`` is never touched;
- leavers: ``applicant`` left at ``BASE`` without serving (application past 12 months: the whole
  person due, contact and account past 12 months); ``served`` left at ``BASE`` after serving
  (contact and account past 12 months, person kept 6 years); ``veteran`` served and left seven
  years before ``LATER`` (person due); ``recent`` served and left 30 days before ``LATER``
  (nothing); ``serving`` never left (nothing);
- erasure requests (``served``'s, refused; ``serving``'s, still pending): one decided at ``BASE``
  is past two years after its decision and is reduced; one decided a month before ``LATER`` is
  not; the pending one, received at ``BASE``, is never touched.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from portal.accounts.roles import Role
from portal.clock import utcnow
from portal.disclosure.tables import DisclosureRefusal
from portal.erasure.tables import ErasureRequest
from portal.messages.tables import OutboxMessage
from portal.organisations.tables import Volunteer, VolunteerStatusChange
from portal.settings import Settings
from tests.support.auth import TestUser, create_user

#: How far the clock moves: two years and a day (a leap year included).
MOVED = dt.timedelta(days=2 * 366 + 1)
BASE = utcnow().replace(microsecond=0)
LATER = BASE + MOVED
PATHS = {
    "applicant": ("applicant", "leaver"),
    "served": ("applicant", "in_training", "active", "leaver"),
    "veteran": ("applicant", "in_training", "active", "leaver"),
    "recent": ("applicant", "in_training", "active", "leaver"),
    "serving": ("applicant", "in_training", "active"),
}


def left_on(name: str, base: dt.datetime) -> dt.date:
    later = (base + MOVED).date()
    return {
        "applicant": base.date(),
        "served": base.date(),
        "veteran": later - dt.timedelta(days=7 * 366),
        "recent": later - dt.timedelta(days=30),
    }.get(name, base.date())


@dataclass
class RetentionWorld:
    volunteers: dict[str, str]
    accounts: dict[str, TestUser]
    dpo: TestUser
    coordinator: TestUser
    refusals: dict[str, str]
    messages: dict[str, str]
    requests: dict[str, str]


async def _volunteer(name: str, base: dt.datetime) -> str:
    key = str(uuid.uuid4())
    steps = PATHS[name]
    await Volunteer.insert(
        Volunteer(
            id=key,
            display_name=f"Retention {name.title()}",
            email=f"{name}@people.example",
            phone="+447700900123",
            contact_by_sms=True,
            status=steps[-1],
        )
    )
    last = left_on(name, base)
    for n in range(1, len(steps)):
        await VolunteerStatusChange.insert(
            VolunteerStatusChange(
                volunteer=key,
                from_status=steps[n - 1],
                to_status=steps[n],
                effective_on=last - dt.timedelta(days=30 * (len(steps) - 1 - n)),
                recorded_by="cli",
                channel="cli",
            )
        )
    return key


async def _refusal(at: dt.datetime) -> str:
    key = str(uuid.uuid4())
    await DisclosureRefusal.insert(
        DisclosureRefusal(id=key, occurred_at=at, reason="no_consent", purpose="dpo.audit")
    )
    return key


async def _message(volunteer: str, at: dt.datetime, status: str) -> str:
    key = str(uuid.uuid4())
    await OutboxMessage.insert(
        OutboxMessage(
            id=key,
            idempotency_key=f"test:{volunteer}:{key}",
            template="leave_decided",
            channel="email",
            recipient="",
            subject="Your ESP leave was approved",
            body_text="Dear Retention Served, your leave on 3 March was approved.",
            status=status,
            created_at=at,
            volunteer=volunteer,
        )
    )
    return key


async def _request(volunteer: str, received: dt.datetime, decided: dt.datetime | None) -> str:
    key = str(uuid.uuid4())
    await ErasureRequest.insert(
        ErasureRequest(
            id=key,
            volunteer=volunteer,
            made_by="volunteer",
            recorded_by="an-account",
            received_on=received.date(),
            due_on=received.date() + dt.timedelta(days=30),
            statement="Please erase everything you hold about me.",
            status="refused" if decided else "pending",
            ground="legal_claims" if decided else "",
            explanation="The duty records back leave an employer gave." if decided else "",
            decided_by="a-dpo" if decided else "",
            decided_at=decided,
            received_index=0,
        )
    )
    return key


async def build_world(settings: Settings, base: dt.datetime = BASE) -> RetentionWorld:
    """The world with its old rows made at ``base``; a run's clock is ``base + MOVED``."""
    later = base + MOVED
    volunteers = {name: await _volunteer(name, base) for name in PATHS}
    accounts = {
        name: await create_user(
            settings,
            f"{name}-account@people.example",
            Role.VOLUNTEER,
            volunteer_id=volunteers[name],
        )
        for name in ("applicant", "served", "recent")
    }
    dpo = await create_user(settings, "dpo@force.example", Role.DPO)
    coordinator = await create_user(settings, "coordinator@force.example", Role.COORDINATOR)
    refusals = {
        "old": await _refusal(base),
        "young": await _refusal(later - dt.timedelta(days=30)),
    }
    served = volunteers["served"]
    messages = {
        "old": await _message(served, base, "sent"),
        "young": await _message(served, later - dt.timedelta(days=30), "sent"),
        "pending": await _message(served, base, "pending"),
    }
    requests = {
        "old": await _request(served, base - dt.timedelta(days=3), base),
        "young": await _request(
            served, later - dt.timedelta(days=40), later - dt.timedelta(days=30)
        ),
        "pending": await _request(volunteers["serving"], base, None),
    }
    return RetentionWorld(volunteers, accounts, dpo, coordinator, refusals, messages, requests)
