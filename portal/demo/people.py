"""Loader steps for the force, employers, volunteers, employment links and demo accounts.

Each step inserts only the rows whose stable id (and unique key) is not there yet, so running the
demo again adds nothing. Accounts get their password hashed with the configured Argon2 settings
and, for dpo and coordinator, a fresh TOTP secret the first time (read back on later runs).
"""

from __future__ import annotations

from typing import Any

import structlog
from piccolo.table import Table

from portal.accounts import totp
from portal.accounts.passwords import check_policy
from portal.accounts.tables import ROLES_NEEDING_TOTP, Role, UserAccount
from portal.clock import utcnow
from portal.dbutil import write_transaction
from portal.demo import data
from portal.demo.context import DemoContext, DemoLogin
from portal.organisations.tables import Employment, Organisation, Volunteer

log = structlog.get_logger(__name__)


async def _existing(table: type[Table], column: Any, values: list[Any]) -> set[str]:
    if not values:
        return set()
    rows = await table.select(column).where(column.is_in(values))
    return {str(row[column._meta.name]) for row in rows}


async def load_organisations(ctx: DemoContext) -> None:
    """The force and the employers (skipped when the id or the name is taken)."""
    wanted = [data.FORCE, *data.EMPLOYERS, *data.RECIPIENTS]
    async with write_transaction(Organisation):
        ids = await _existing(Organisation, Organisation.id, [o.id for o in wanted])
        names = await _existing(Organisation, Organisation.name, [o.name for o in wanted])
        new = [o for o in wanted if str(o.id) not in ids and o.name not in names]
        if new:
            await Organisation.insert(
                *[
                    Organisation(
                        id=o.id,
                        name=o.name,
                        kind=o.kind,
                        sector=o.sector,
                        size_band=o.size_band,
                        contact_email=o.contact_email,
                    )
                    for o in new
                ]
            )
    ctx.count(
        "employers",
        await Organisation.count().where(Organisation.kind == "employer"),
        sum(o.kind == "employer" for o in new),
    )
    for kind, label in (("police_force", "other police forces"), ("partner", "partners")):
        ctx.count(
            label,
            await Organisation.count().where(Organisation.kind == kind),
            sum(o.kind == kind for o in new),
        )
    log.info("demo.organisations", added=len(new))


async def load_volunteers(ctx: DemoContext) -> None:
    wanted = data.volunteers()
    async with write_transaction(Volunteer):
        ids = await _existing(Volunteer, Volunteer.id, [v.id for v in wanted])
        emails = await _existing(Volunteer, Volunteer.email, [v.email for v in wanted])
        new = [v for v in wanted if str(v.id) not in ids and v.email not in emails]
        if new:
            await Volunteer.insert(
                *[
                    Volunteer(
                        id=v.id,
                        subject=v.subject,
                        display_name=v.display_name,
                        email=v.email,
                        phone=v.phone,
                        status=v.status.value,
                        contact_by_email=v.contact_by_email,
                        contact_by_sms=v.contact_by_sms,
                        contact_by_phone=v.contact_by_phone,
                    )
                    for v in new
                ]
            )
    ctx.count("volunteers", await Volunteer.count(), len(new))
    log.info("demo.volunteers", added=len(new))


async def load_employments(ctx: DemoContext) -> None:
    wanted = data.employments() + data.recipient_links()
    async with write_transaction(Employment):
        ids = await _existing(Employment, Employment.id, [e.id for e in wanted])
        volunteers = await _existing(
            Volunteer, Volunteer.id, list({data.demo_id("volunteer", e.volunteer) for e in wanted})
        )
        employers = await _existing(
            Organisation, Organisation.id, list({e.employer.id for e in wanted})
        )
        new = [
            e
            for e in wanted
            if str(e.id) not in ids
            and str(data.demo_id("volunteer", e.volunteer)) in volunteers
            and str(e.employer.id) in employers
        ]
        if new:
            await Employment.insert(
                *[
                    Employment(
                        id=e.id,
                        volunteer=data.demo_id("volunteer", e.volunteer),
                        employer=e.employer.id,
                        starts_on=e.starts_on,
                        ends_on=e.ends_on,
                        reasons=list(e.reasons),
                    )
                    for e in new
                ]
            )
    ctx.count("employments", await Employment.count(), len(new))
    log.info("demo.employments", added=len(new))


async def load_users(ctx: DemoContext) -> None:
    """One coordinator, one dpo (both with TOTP), employer contacts and volunteers."""
    added = 0
    for user in data.USERS:
        role = Role(user.role)
        row = (
            await UserAccount.select(UserAccount.id, UserAccount.totp_secret)
            .where(UserAccount.email == user.email)
            .first()
        )
        if row is None:
            organisation = user.organisation.id if user.organisation else None
            volunteer = (
                data.demo_id("volunteer", user.volunteer) if user.volunteer is not None else None
            )
            if organisation and not await Organisation.exists().where(
                Organisation.id == organisation
            ):
                continue
            if volunteer and not await Volunteer.exists().where(Volunteer.id == volunteer):
                continue
            check_policy(user.password, user.email)
            secret = totp.new_secret() if role in ROLES_NEEDING_TOTP else None
            await UserAccount.insert(
                UserAccount(
                    id=user.id,
                    email=user.email,
                    role=role.value,
                    organisation=organisation,
                    volunteer=volunteer,
                    password_hash=ctx.hashing.hash(user.password),
                    totp_secret=secret,
                    activated_at=utcnow(),
                )
            )
            added += 1
        else:
            secret = row["totp_secret"]
        ctx.logins.append(
            DemoLogin(
                role=role.value,
                email=user.email,
                password=user.password,
                totp_secret=secret,
                otpauth_uri=totp.provisioning_uri(secret, user.email) if secret else None,
                note=_note(user),
            )
        )
    ctx.count("users", await UserAccount.count(), added)
    log.info("demo.users", added=added)


def _note(user: data.DemoUser) -> str:
    if user.organisation is not None:
        contact = {"police_force": "Specials liaison", "partner": "Assessor"}.get(
            user.organisation.kind, "HR contact"
        )
        return f"{contact} of {user.organisation.name}"
    if user.volunteer is not None:
        person = data.volunteers()[user.volunteer]
        return f"{person.display_name}, {person.status.value.replace('_', ' ')}"
    return {"coordinator": "the force's ESP coordinator", "dpo": "the force's DPO"}.get(
        user.role, ""
    )
