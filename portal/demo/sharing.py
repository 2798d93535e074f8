"""Loader steps for data sharing: agreements, consents, employers' reads and withdrawals.

Without these the demo's ledger would be empty and no employer would see anyone. Every row here
goes through the service the portal itself uses (``AgreementService``, ``ConsentService``,
``DisclosureGate``), so each agreement, consent event and disclosure is committed with its ledger
entry exactly as in the product; nothing is written to those tables by hand (their history is
append-only). Idempotence comes from checking what is already there before acting: an employer
that has any agreement gets none, a volunteer x employer x purpose with any consent event gets
no new one, an employer account that has already read staff for a purpose does not read again.
"""

from __future__ import annotations

import datetime as dt

import structlog

from ledger.tables import LedgerEntry
from portal.accounts.tables import Role, UserAccount
from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.agreements.tables import DataSharingAgreement
from portal.auth.identity import Identity
from portal.clock import utcnow
from portal.consent.schemas import ConsentGive, ConsentWithdraw
from portal.consent.services import ConsentService
from portal.consent.tables import ConsentEvent, ConsentState
from portal.dbutil import json_value
from portal.demo import data
from portal.demo.context import DemoContext
from portal.disclosure.gate import Recipient
from portal.errors import Conflict
from portal.gates import build_gate
from portal.hours.periods import Month
from portal.organisations.links import link_reasons
from portal.organisations.rules import employed_on
from portal.organisations.tables import Employment, Volunteer
from portal.vocabulary import notices, vocabulary

log = structlog.get_logger(__name__)

#: ``actor_user`` of consent events given for demo volunteers who have no account.
DEMO_ACTOR = "demo"


def _today() -> dt.date:
    return utcnow().date()


async def _account_id(email: str) -> str | None:
    row = await UserAccount.select(UserAccount.id).where(UserAccount.email == email).first()
    return str(row["id"]) if row else None


def _demo_user(key: str) -> data.DemoUser:
    return next(user for user in data.USERS if user.key == key)


def _volunteer_identity(volunteer_id: str, accounts: dict[str, str]) -> Identity:
    """The identity ``ConsentService`` expects of a volunteer acting on their own consents.

    Demo volunteers with an account act as that account (as if signed in on the web); the
    others, who have no account, are recorded as acting through the demo loader.
    """
    return Identity(
        user_id=accounts.get(volunteer_id, DEMO_ACTOR),
        role=Role.VOLUNTEER,
        via="session",
        volunteer_id=volunteer_id,
    )


async def _volunteer_accounts() -> dict[str, str]:
    """Volunteer id -> user account id, for the volunteers that have an account."""
    rows = await UserAccount.select(UserAccount.id, UserAccount.volunteer).where(
        UserAccount.volunteer.is_not_null()
    )
    return {str(r["volunteer"]): str(r["id"]) for r in rows}


# --------------------------------------------------------------------------------------------
# Agreements
# --------------------------------------------------------------------------------------------


async def load_agreements(ctx: DemoContext) -> None:
    """Version 1 of a data sharing agreement for eight employers, an information sharing
    agreement with the other force and a processing contract with the partner, each a ledger
    entry.

    An employer that already has any agreement (from an earlier run, or recorded by a
    coordinator) is left alone: the demo never adds a version on top of someone else's.
    """
    ledger = await ctx.ledger()
    service = AgreementService(ledger)
    coordinator = _demo_user("coordinator")
    recorded_by = await _account_id(coordinator.email) or DEMO_ACTOR
    today = _today()
    wanted = data.AGREEMENTS + data.RECIPIENT_AGREEMENTS
    present = {
        str(row["employer"])
        for row in await DataSharingAgreement.select(DataSharingAgreement.employer).where(
            DataSharingAgreement.employer.is_in([a.employer.id for a in wanted])
        )
    }
    added = 0
    for agreement in wanted:
        if str(agreement.employer.id) in present:
            continue
        starts_on = Month.of_date(today).plus(-agreement.started_months_ago).first_day
        await service.record(
            AgreementCreate(
                employer_id=agreement.employer.id,
                version=1,
                purposes={code: list(cats) for code, cats in agreement.purposes.items()},
                starts_on=starts_on,
                ends_on=today + dt.timedelta(days=agreement.ends_in_days),
                signed_by=agreement.signed_by,
            ),
            recorded_by=recorded_by,
            request_id=data.demo_id("request", f"agreement:{agreement.employer.key}:1").hex,
            channel="web",
        )
        added += 1
    ctx.count("agreements", await DataSharingAgreement.count(), added)
    log.info("demo.agreements", added=added)


# --------------------------------------------------------------------------------------------
# Consents
# --------------------------------------------------------------------------------------------


async def _agreements_in_force(ctx: DemoContext) -> dict[str, dict[str, list[str]]]:
    """Employer id -> the purposes and categories of its agreement in force today."""
    page = await AgreementService(await ctx.ledger()).list_current(limit=1000, offset=0)
    return {a.employer_id: a.purposes for a in page.items if a.state == "in_force"}


async def _consent_keys(volunteer_ids: list[str]) -> dict[tuple[str, str, str], set[str]]:
    """(volunteer, employer, purpose) -> the states of every consent event recorded for it."""
    if not volunteer_ids:
        return {}
    rows = await ConsentEvent.select(
        ConsentEvent.volunteer, ConsentEvent.employer, ConsentEvent.purpose, ConsentEvent.state
    ).where(ConsentEvent.volunteer.is_in(volunteer_ids))
    keys: dict[tuple[str, str, str], set[str]] = {}
    for row in rows:
        key = (str(row["volunteer"]), str(row["employer"]), str(row["purpose"]))
        keys.setdefault(key, set()).add(str(row["state"]))
    return keys


async def load_consents(ctx: DemoContext) -> None:
    """Most serving volunteers consent, per employer with an agreement, to what it offers.

    Only purposes whose lawful basis is consent need one (``consent_required`` in the
    vocabulary) and, for a link to a force or partner, only the link's reasons (as the sharing
    page offers them); the categories are those the agreement names, narrowed per volunteer by
    :func:`portal.demo.data.consent_wanted`. Each consent is given through
    ``ConsentService.give``, against the current privacy notice, as the volunteer would.
    Counted in consent records (one per category), as the consent history holds them.
    """
    service = ConsentService(await ctx.ledger(), settings=ctx.settings)
    today = _today()
    in_force = await _agreements_in_force(ctx)
    people = {str(p.id): p for p in data.volunteers()}
    present = {
        str(r["id"])
        for r in await Volunteer.select(Volunteer.id).where(Volunteer.id.is_in(list(people)))
    }
    links = await Employment.select(
        Employment.volunteer, Employment.employer, Employment.employer.kind, Employment.reasons
    ).where(Employment.volunteer.is_in(list(present)) & employed_on(today))
    existing = await _consent_keys(list(present))
    accounts = await _volunteer_accounts()
    notice = notices().current(today).version
    given = 0
    for link in sorted(links, key=lambda r: (str(r["volunteer"]), str(r["employer"]))):
        volunteer_id, employer_id = str(link["volunteer"]), str(link["employer"])
        purposes = in_force.get(employer_id, {})
        made_for = link_reasons(str(link["employer.kind"]), json_value(link["reasons"]))
        for code, offered in sorted(purposes.items()):
            purpose = vocabulary().purpose(code)
            if purpose is None or not purpose.consent_required:
                continue
            if made_for is not None and code not in made_for:
                continue  # the link is not for it: the sharing page does not offer it
            if (volunteer_id, employer_id, code) in existing:
                continue
            categories = data.consent_wanted(people[volunteer_id], code, tuple(offered))
            if not categories:
                continue
            result = await service.give(
                _volunteer_identity(volunteer_id, accounts),
                ConsentGive(
                    employer_id=employer_id,
                    purpose=code,
                    categories=categories,
                    notice_version=notice,
                ),
                request_id=data.demo_id(
                    "request", f"consent:{volunteer_id}:{employer_id}:{code}"
                ).hex,
                channel="web",
            )
            given += len(result.categories)
    ctx.count(
        "consents",
        await ConsentEvent.count().where(ConsentEvent.state == ConsentState.GIVEN.value),
        given,
    )
    log.info("demo.consents", given=given)


# --------------------------------------------------------------------------------------------
# Employers reading their staff
# --------------------------------------------------------------------------------------------


async def load_disclosures(ctx: DemoContext) -> None:
    """The demo employer accounts list their staff once per purpose, through the one gate.

    The same call the employer API makes (``DisclosureGate.disclose_staff``, on a gate built as
    the app builds it, so the hours of this year so far come from their registered source): one
    disclosure entry per person released, so the DPO's ledger and each volunteer's "Disclosures
    of my data" page have something to show. An account that already read for a purpose (in an
    earlier run, or by someone trying the demo) does not read again.
    """
    gate = build_gate(await ctx.ledger(), ctx.settings)
    released = 0
    for read in data.READS:
        user = _demo_user(read.user)
        if user.organisation is None:
            continue
        user_id = await _account_id(user.email)
        if user_id is None:
            continue
        already = await LedgerEntry.exists().where(
            (LedgerEntry.kind == "disclosure")
            & (LedgerEntry.recipient_user == user_id)
            & (LedgerEntry.purpose == read.purpose)
        )
        if already:
            continue
        identity = Identity(
            user_id=user_id,
            role=Role(user.role),
            via="session",
            organisation_id=str(user.organisation.id),
        )
        page = await gate.disclose_staff(
            Recipient.of(identity, channel="web"),
            read.purpose,
            request_id=read.request_id,
            limit=50,
        )
        released += len(page.items)
    ctx.count(
        "disclosures", await LedgerEntry.count().where(LedgerEntry.kind == "disclosure"), released
    )
    log.info("demo.disclosures", released=released)


# --------------------------------------------------------------------------------------------
# Withdrawals
# --------------------------------------------------------------------------------------------


async def load_withdrawals(ctx: DemoContext) -> None:
    """A few volunteers withdraw a consent, so histories show one and employers get notices.

    Run after the employers' reads: withdrawing a consent a disclosure relied on sends that
    employer a withdrawal notice (``ConsentService.withdraw`` decides, as in the product). A
    volunteer x employer x purpose that already has a withdrawal, or no consent to withdraw,
    is skipped.
    """
    service = ConsentService(await ctx.ledger(), settings=ctx.settings)
    wanted = [str(data.demo_id("volunteer", w.volunteer)) for w in data.WITHDRAWALS]
    existing = await _consent_keys(wanted)
    accounts = await _volunteer_accounts()
    withdrawn = 0
    for withdrawal in data.WITHDRAWALS:
        volunteer_id = str(data.demo_id("volunteer", withdrawal.volunteer))
        employer_id = str(withdrawal.employer.id)
        states = existing.get((volunteer_id, employer_id, withdrawal.purpose), set())
        if ConsentState.GIVEN.value not in states or ConsentState.WITHDRAWN.value in states:
            continue
        try:
            result = await service.withdraw(
                _volunteer_identity(volunteer_id, accounts),
                ConsentWithdraw(
                    employer_id=employer_id,
                    purpose=withdrawal.purpose,
                    categories=list(withdrawal.categories) or None,
                ),
                request_id=data.demo_id(
                    "request", f"withdraw:{volunteer_id}:{employer_id}:{withdrawal.purpose}"
                ).hex,
                channel="web",
            )
        except Conflict:  # those categories were never given: nothing to withdraw
            log.info("demo.withdrawal_skipped", volunteer_id=volunteer_id)
            continue
        withdrawn += len(result.categories)
    ctx.count(
        "withdrawals",
        await ConsentEvent.count().where(ConsentEvent.state == ConsentState.WITHDRAWN.value),
        withdrawn,
    )
    log.info("demo.withdrawals", withdrawn=withdrawn)


async def report_ledger(ctx: DemoContext) -> None:
    """The ledger's size after loading, and how many entries this run appended."""
    size = int(await (await ctx.ledger()).size())
    ctx.count("ledger", size, size - ctx.ledger_size_at_start)
    log.info("demo.ledger", size=size, added=size - ctx.ledger_size_at_start)
