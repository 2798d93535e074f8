"""The gate for each kind of recipient organisation: employer, another police force, partner.

Each kind has its own purposes in the vocabulary and its own kind of agreement (a data sharing
agreement, an information sharing agreement, a processing contract); the gate applies the same
rules to each: the purpose must be one for the recipient's kind, the volunteer must be linked to
the organisation today, the agreement in force must name the purpose and category, and consent
is asked for when the purpose relies on it. Every refusal is recorded with its reason and
nothing is ledgered for it; every release is ledgered with the recipient organisation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger.tables import LedgerEntry
from portal.agreements.schemas import AgreementCreate
from portal.agreements.services import AgreementService
from portal.disclosure.gate import DisclosureGate, Recipient
from portal.disclosure.recipient import RecipientKind
from portal.disclosure.sources import CategorySources
from portal.disclosure.tables import DisclosureRefusal
from portal.errors import Forbidden, InvalidInput, NotFound
from portal.organisations.tables import OrganisationKind
from portal.vocabulary import vocabulary
from tests.support import disclosure_world as world

TRANSFER = "force.service-transfer"
MULTI = "force.multi-force-application"
PROCESSING = "partner.application-processing"
PM = "esp.programme-management"

#: Per kind: the organisation kind, a public-task purpose of that kind and its agreement.
KINDS: dict[RecipientKind, tuple[OrganisationKind, str, dict[str, list[str]]]] = {
    "police_force": (
        OrganisationKind.POLICE_FORCE,
        TRANSFER,
        {TRANSFER: ["identity", "status"], MULTI: ["identity", "application"]},
    ),
    "partner": (OrganisationKind.PARTNER, PROCESSING, {PROCESSING: ["identity", "status"]}),
    "employer": (OrganisationKind.EMPLOYER, PM, {PM: ["identity", "status"]}),
}


async def _reasons() -> dict[str, str]:
    rows = await DisclosureRefusal.select(DisclosureRefusal.request_id, DisclosureRefusal.reason)
    return {r["request_id"]: r["reason"] for r in rows}


async def _entries() -> list[dict[str, Any]]:
    rows = await LedgerEntry.select(LedgerEntry.body).where(LedgerEntry.kind == "disclosure")
    return [json.loads(bytes(r["body"])) for r in rows]


def test_each_kind_has_its_own_purposes_with_basis_and_dpv_term() -> None:
    v = vocabulary()
    by_audience: dict[str, set[str]] = {}
    for purpose in v.purposes:
        by_audience.setdefault(purpose.audience, set()).add(purpose.code)
    assert by_audience["police_force"] == {TRANSFER, MULTI}
    assert by_audience["partner"] == {PROCESSING}
    multi = v.purpose(MULTI)
    transfer = v.purpose(TRANSFER)
    processing = v.purpose(PROCESSING)
    assert multi is not None and multi.consent_required
    assert multi.dpv_purpose == "dpv:PersonnelHiring"
    assert transfer is not None and transfer.lawful_basis.value == "public_task"
    assert processing is not None and processing.dpv_purpose == "dpv:RecruitmentManagement"
    assert "application" in processing.categories and "hours.detail" not in processing.categories


@pytest.mark.parametrize("kind", ["police_force", "partner", "employer"])
async def test_each_kind_is_released_only_with_its_agreement_link_and_purpose(
    engine: Any, ledger: Any, kind: RecipientKind
) -> None:
    org_kind, purpose, purposes = KINDS[kind]
    agreed = await world.organisation(f"Agreed {kind}", org_kind)
    await world.agreement(ledger, agreed, purposes)
    bare = await world.organisation(f"No agreement {kind}", org_kind)
    linked = await world.volunteer("Lee Linked", status="applicant")
    reasons = () if kind == "employer" else (purpose,)  # a force's or partner's link says why
    await world.employ(linked, agreed, reasons=reasons)
    await world.employ(linked, bare, reasons=reasons)
    stranger = await world.volunteer("Sam Stranger", status="applicant")
    gate = DisclosureGate(ledger, CategorySources())
    recipient = Recipient(kind, agreed, f"user-{kind}", "api")

    released = await gate.disclose_one(recipient, purpose, linked.id, request_id="allowed")
    assert released.data == {"display_name": "Lee Linked", "status": "applicant"}
    assert released.agreement_ids and not released.consent_ids
    page = await gate.disclose_staff(recipient, purpose, request_id="list", limit=10)
    assert [r.volunteer_id for r in page.items] == [linked.id]

    with pytest.raises(NotFound):  # not linked to this organisation
        await gate.disclose_one(recipient, purpose, stranger.id, request_id="stranger")
    with pytest.raises(NotFound):  # linked, but the organisation has no agreement
        await gate.disclose_one(
            Recipient(kind, bare, "user-bare", "api"), purpose, linked.id, request_id="bare"
        )
    other_kinds = [p for k, (_o, p, _a) in KINDS.items() if k != kind]
    for other in other_kinds:  # a purpose of another kind of recipient
        with pytest.raises(InvalidInput):
            await gate.disclose_one(recipient, other, linked.id, request_id=f"wrong {other}")
    with pytest.raises(Forbidden):  # the force's own oversight is not for an organisation
        await gate.disclose_to_force(recipient, linked.id, request_id="oversight")

    reasons = await _reasons()
    assert reasons == {
        "stranger": "outside_organisation",
        "bare": "no_agreement",
        **{f"wrong {other}": "purpose_not_for_recipient" for other in other_kinds},
    }
    entries = await _entries()
    assert [(e["recipient_org"], e["purpose"], e["subject"]) for e in entries] == [
        (agreed, purpose, linked.subject),
        (agreed, purpose, linked.subject),
    ]
    assert {e["lawful_basis"] for e in entries} == {"public_task"}
    assert {e["recipient_user"] for e in entries} == {f"user-{kind}"}


async def test_a_force_needs_consent_for_a_multi_force_application(
    engine: Any, ledger: Any
) -> None:
    org_kind, _purpose, purposes = KINDS["police_force"]
    force = await world.organisation("Other Constabulary", org_kind)
    await world.agreement(ledger, force, purposes)
    asked = await world.volunteer("Ash Applicant", status="applicant")
    silent = await world.volunteer("Sky Silent", status="applicant")
    withdrawn = await world.volunteer("Wren Withdrawn", status="applicant")
    for person in (asked, silent, withdrawn):
        await world.employ(person, force, reasons=(MULTI,))
    await world.consent_event(asked, force, MULTI, ["identity", "application"])
    await world.consent_event(withdrawn, force, MULTI, ["identity"])
    await world.consent_event(withdrawn, force, MULTI, ["identity"], state="withdrawn")
    gate = DisclosureGate(ledger, CategorySources())
    recipient = Recipient("police_force", force, "user-force", "api")

    released = await gate.disclose_one(recipient, MULTI, asked.id, request_id="asked")
    assert released.categories == ("application", "identity")
    assert released.data["display_name"] == "Ash Applicant"
    assert released.data["application_stage"] == "application_in_progress"
    assert len(released.consent_ids) == 2
    for person, request in ((silent, "silent"), (withdrawn, "withdrawn")):
        with pytest.raises(NotFound):
            await gate.disclose_one(recipient, MULTI, person.id, request_id=request)
    page = await gate.disclose_staff(recipient, MULTI, request_id="list", limit=10)
    assert [r.volunteer_id for r in page.items] == [asked.id]
    assert await _reasons() == {"silent": "no_consent", "withdrawn": "consent_withdrawn"}
    entries = await _entries()
    assert [(e["subject"], e["lawful_basis"]) for e in entries] == [
        (asked.subject, "consent"),
        (asked.subject, "consent"),
    ]


async def test_an_employer_cannot_use_another_kinds_purpose_or_see_their_people(
    engine: Any, ledger: Any
) -> None:
    employer = await world.organisation("Plain Employer", OrganisationKind.EMPLOYER)
    await world.agreement(ledger, employer, KINDS["employer"][2])
    force = await world.organisation("Neighbour Police", OrganisationKind.POLICE_FORCE)
    await world.agreement(ledger, force, KINDS["police_force"][2])
    moving = await world.volunteer("Max Moving")
    await world.employ(moving, force, reasons=(TRANSFER,))
    gate = DisclosureGate(ledger, CategorySources())
    with pytest.raises(InvalidInput):
        await gate.disclose_one(
            Recipient("employer", employer, "hr", "api"), TRANSFER, moving.id, request_id="emp"
        )
    with pytest.raises(NotFound):  # the force's person is no staff member of the employer
        await gate.disclose_one(
            Recipient("employer", employer, "hr", "api"), PM, moving.id, request_id="emp-pm"
        )
    with pytest.raises(NotFound):  # another force with the same purposes: not linked to it
        other = await world.organisation("Far Police", OrganisationKind.POLICE_FORCE)
        await world.agreement(ledger, other, KINDS["police_force"][2])
        await gate.disclose_one(
            Recipient("police_force", other, "u", "api"), TRANSFER, moving.id, request_id="far"
        )
    assert await _reasons() == {
        "emp": "purpose_not_for_recipient",
        "emp-pm": "outside_organisation",
        "far": "outside_organisation",
    }
    assert await _entries() == []


@pytest.mark.parametrize(
    ("org_kind", "wrong", "agreement_kind"),
    [
        (OrganisationKind.POLICE_FORCE, PM, "information_sharing_agreement"),
        (OrganisationKind.PARTNER, TRANSFER, "processing_contract"),
        (OrganisationKind.EMPLOYER, PROCESSING, "data_sharing_agreement"),
    ],
)
async def test_an_agreement_names_only_purposes_of_its_organisations_kind(
    engine: Any, ledger: Any, org_kind: OrganisationKind, wrong: str, agreement_kind: str
) -> None:
    org = await world.organisation(f"Org {org_kind.value}", org_kind)
    with pytest.raises(InvalidInput) as refused:
        await world.agreement(ledger, org, {wrong: ["identity"]})
    assert [e["field"] for e in refused.value.extra["errors"]] == [f"purposes.{wrong}"]
    assert org_kind.value.replace("_", " ") in refused.value.extra["errors"][0]["message"]
    own = next(p for o, p, _a in KINDS.values() if o is org_kind)
    agreement_id = await world.agreement(ledger, org, {own: ["identity"]})
    out = await AgreementService(ledger).get(agreement_id)
    assert (out.organisation_kind, out.agreement_kind) == (org_kind.value, agreement_kind)


async def test_an_agreement_is_only_with_an_organisation_that_receives_data(
    engine: Any, ledger: Any
) -> None:
    provider = await world.organisation("Mail Relay", OrganisationKind.PROVIDER)
    with pytest.raises(InvalidInput) as refused:
        await AgreementService(ledger).record(
            AgreementCreate.model_validate(
                {
                    "employer_id": provider,
                    "version": 1,
                    "purposes": {PM: ["identity"]},
                    "starts_on": str(world.TODAY),
                    "ends_on": str(world.TODAY),
                    "signed_by": "A. Person",
                }
            ),
            recorded_by="test",
            request_id="r",
            channel="cli",
        )
    assert [e["field"] for e in refused.value.extra["errors"]] == ["employer_id"]


async def test_a_link_to_a_force_releases_only_for_the_purposes_it_was_made_for(
    engine: Any, ledger: Any
) -> None:
    """A link made for a multi-force application does not let a service transfer read through
    (nor the other way round): the read is refused as ``purpose_not_for_link``, recorded, and
    nothing is ledgered; the read the link was made for is released."""
    force = await world.organisation("Reasoned Constabulary", OrganisationKind.POLICE_FORCE)
    await world.agreement(ledger, force, KINDS["police_force"][2])
    applicant = await world.volunteer("Aly Applied", status="applicant")
    mover = await world.volunteer("Mo Moving", status="active")
    unreasoned = await world.volunteer("Una Unreasoned", status="active")
    await world.employ(applicant, force, reasons=(MULTI,))
    await world.employ(mover, force, reasons=(TRANSFER,))
    await world.employ(unreasoned, force)  # a link that records no reason releases nothing
    for person in (applicant, mover):  # consent is not what holds the mover back
        await world.consent_event(person, force, MULTI, ["identity", "application"])
    gate = DisclosureGate(ledger, CategorySources())
    recipient = Recipient("police_force", force, "user-force", "api")

    for purpose, person, request in (
        (TRANSFER, applicant, "transfer-through-application"),
        (MULTI, mover, "application-through-transfer"),
        (TRANSFER, unreasoned, "no-reason"),
    ):
        with pytest.raises(NotFound):
            await gate.disclose_one(recipient, purpose, person.id, request_id=request)
    released = await gate.disclose_one(recipient, MULTI, applicant.id, request_id="application")
    assert released.categories == ("application", "identity")
    moved = await gate.disclose_one(recipient, TRANSFER, mover.id, request_id="transfer")
    assert moved.data["display_name"] == "Mo Moving"
    transfers = await gate.disclose_staff(recipient, TRANSFER, request_id="transfers", limit=10)
    assert [r.volunteer_id for r in transfers.items] == [mover.id]
    applications = await gate.disclose_staff(recipient, MULTI, request_id="apps", limit=10)
    assert [r.volunteer_id for r in applications.items] == [applicant.id]

    assert await _reasons() == {
        "transfer-through-application": "purpose_not_for_link",
        "application-through-transfer": "purpose_not_for_link",
        "no-reason": "purpose_not_for_link",
    }
    refused = await DisclosureRefusal.select(
        DisclosureRefusal.subject, DisclosureRefusal.recipient_org
    ).where(DisclosureRefusal.request_id == "transfer-through-application")
    assert refused == [{"subject": applicant.subject, "recipient_org": force}]
    entries = await _entries()
    assert [(e["purpose"], e["subject"]) for e in entries] == [
        (MULTI, applicant.subject),
        (TRANSFER, mover.subject),
        (TRANSFER, mover.subject),
        (MULTI, applicant.subject),
    ]


async def test_a_job_with_an_employer_is_not_bound_to_reasons(engine: Any, ledger: Any) -> None:
    """An employer's link is the job itself: every employer purpose its agreement names."""
    employer = await world.organisation("Jobs Ltd", OrganisationKind.EMPLOYER)
    await world.agreement(ledger, employer, KINDS["employer"][2])
    worker = await world.volunteer("Wes Worker")
    await world.employ(worker, employer)
    gate = DisclosureGate(ledger, CategorySources())
    released = await gate.disclose_one(
        Recipient("employer", employer, "hr", "api"), PM, worker.id, request_id="job"
    )
    assert released.volunteer_id == worker.id
