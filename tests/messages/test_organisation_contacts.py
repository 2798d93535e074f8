"""Who at an organisation is told: the one rule of ``organisation_contacts`` on both databases.

Only enabled, activated accounts of the role for the organisation's kind; the organisation's
recorded contact address only when it has no such account; each address once whatever its case.
The withdrawal reminder follows the same rule as the notice it reminds of. A kind with no role
is an error naming the kind, never another kind's accounts mailed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from portal.accounts.contacts import NoContactRole, organisation_contacts
from portal.accounts.roles import Role
from portal.accounts.tables import UserAccount
from portal.consent.tables import WithdrawalNotice
from portal.disclosure.reminders import remind_unacknowledged
from portal.messages.tables import OutboxMessage
from portal.organisations.tables import Organisation, OrganisationKind
from portal.settings import Settings
from tests.support import disclosure_world as world
from tests.support.auth import create_user

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


async def _recorded_contact(organisation_id: str, email: str) -> None:
    await Organisation.update({Organisation.contact_email: email}).where(
        Organisation.id == organisation_id
    )


async def _invited(email: str, role: Role, organisation_id: str) -> None:
    """An account invited but never activated (no password set yet)."""
    await UserAccount(email=email, role=role.value, organisation=organisation_id).save()


async def _disabled(settings: Settings, email: str, role: Role, organisation_id: str) -> None:
    user = await create_user(settings, email, role, organisation_id=organisation_id)
    await UserAccount.update({UserAccount.is_active: False}).where(UserAccount.id == user.id)


async def test_only_activated_enabled_accounts_of_the_kinds_role_are_contacts(
    engine: Any, settings: Settings
) -> None:
    employer_id = await world.employer("Rule Ltd")
    hr = await create_user(settings, "hr@rule.example", Role.EMPLOYER, organisation_id=employer_id)
    await _invited("invited@rule.example", Role.EMPLOYER, employer_id)
    await _disabled(settings, "left@rule.example", Role.EMPLOYER, employer_id)
    # the recorded address is another person's: not added while an account exists
    await _recorded_contact(employer_id, "office@rule.example")
    assert await organisation_contacts(employer_id) == [hr.email]


async def test_the_recorded_address_is_used_only_when_no_account_can_read(
    engine: Any, settings: Settings
) -> None:
    employer_id = await world.employer("Fallback Ltd")
    await _invited("invited@fallback.example", Role.EMPLOYER, employer_id)
    await _disabled(settings, "left@fallback.example", Role.EMPLOYER, employer_id)
    await _recorded_contact(employer_id, "Office@Fallback.example")
    assert await organisation_contacts(employer_id) == ["office@fallback.example"]
    bare_id = await world.employer("Nobody Ltd")
    assert await organisation_contacts(bare_id) == []
    assert await organisation_contacts(str(uuid.uuid4())) == []


async def test_the_recorded_address_equal_to_a_users_is_not_sent_twice(
    engine: Any, settings: Settings
) -> None:
    force_id = await world.organisation("Contact Police", OrganisationKind.POLICE_FORCE)
    liaison = await create_user(
        settings, "liaison@contact.example", Role.POLICE_FORCE, organisation_id=force_id
    )
    await _recorded_contact(force_id, "  LIAISON@Contact.Example ")
    assert await organisation_contacts(force_id) == [liaison.email]


async def test_the_reminder_goes_where_the_notice_went(engine: Any, settings: Settings) -> None:
    """An organisation whose only account was never activated: the reminder goes to the recorded
    address, as the notice did, not to the invitation nobody has taken up."""
    partner_id = await world.organisation("Pending Partner", OrganisationKind.PARTNER)
    await _invited("invited@pending.example", Role.PARTNER, partner_id)
    await _recorded_contact(partner_id, "desk@pending.example")
    person = await world.volunteer("Reminder Person")
    await WithdrawalNotice(
        employer=partner_id,
        volunteer=person.id,
        subject=person.subject,
        purpose="esp.leave-verification",
        categories=["identity"],
        consent_ids=[str(uuid.uuid4())],
        issued_at=NOW,
        ledger_index=1,
    ).save()
    assert await remind_unacknowledged(settings, NOW + dt.timedelta(days=8)) == 1
    (mail,) = await OutboxMessage.select().where(OutboxMessage.template == "withdrawal_reminder")
    assert mail["recipient"] == "desk@pending.example"
    assert mail["recipient"] == (await organisation_contacts(partner_id))[0]


@pytest.mark.parametrize("kind", [OrganisationKind.PROVIDER.value, OrganisationKind.FORCE.value])
async def test_a_kind_without_a_role_is_an_error_naming_it(
    engine: Any, settings: Settings, kind: str
) -> None:
    """Employer accounts in an organisation of another kind are not its contacts: before, any
    kind without a role was taken for an employer and those accounts were mailed."""
    org_id = await world.employer(f"Odd {kind}")
    await create_user(settings, "hr@odd.example", Role.EMPLOYER, organisation_id=org_id)
    await _recorded_contact(org_id, "desk@odd.example")
    assert await organisation_contacts(org_id) == ["hr@odd.example"]
    await Organisation.update({Organisation.kind: kind}).where(Organisation.id == org_id)
    with pytest.raises(NoContactRole, match=repr(kind)) as raised:
        await organisation_contacts(org_id)
    assert raised.value.kind == kind
