"""Organisations, volunteers and employment links.

Volunteer rows hold personal data: only the disclosure gate may read them on behalf of anyone but
the volunteer themself. The ``subject`` column is the pseudonymous id the ledger records instead of
a name or warrant number.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Date,
    ForeignKey,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.organisations.status import VolunteerStatus as VolunteerStatus  # re-exported


class OrganisationKind(StrEnum):
    FORCE = "force"
    EMPLOYER = "employer"
    #: A messaging provider (SMTP relay, GOV.UK Notify, the demo's file folder): the recipient
    #: of a volunteer's email address or phone number when the force sends them a message.
    PROVIDER = "provider"
    #: Another police force: a special transferring in or out, or an applicant who applied to
    #: more than one force. Receives data under an information sharing agreement.
    POLICE_FORCE = "police_force"
    #: An organisation processing applications for the force (e.g. an assessment provider).
    #: Receives data under a processing contract.
    PARTNER = "partner"


def new_subject() -> str:
    """A fresh pseudonymous ledger subject id, unrelated to any other id of the volunteer."""
    return f"sub_{uuid.uuid4().hex}"


class Organisation(Table, tablename="organisation"):
    id = UUID(primary_key=True)
    name = Varchar(length=200, unique=True)
    kind = Varchar(length=20, choices=OrganisationKind, index=True)
    sector = Varchar(length=100, default="")
    size_band = Varchar(length=20, default="")
    contact_email = Varchar(length=254, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Volunteer(Table, tablename="volunteer"):
    id = UUID(primary_key=True)
    subject = Varchar(length=40, unique=True, default=new_subject)
    display_name = Varchar(length=200)
    email = Varchar(length=254, unique=True)
    phone = Varchar(length=40, default="")
    contact_by_email = Boolean(default=True)
    contact_by_sms = Boolean(default=False)
    contact_by_phone = Boolean(default=False)
    #: Opt-in: one message a day listing how often the volunteer's data was disclosed.
    disclosure_digest = Boolean(default=False)
    status = Varchar(length=20, choices=VolunteerStatus, default=VolunteerStatus.APPLICANT.value)
    created_at = Timestamptz(default=TimestamptzNow())
    #: The name folded for search (``portal.organisations.folding.fold``); NULL until computed.
    #: The one folded name: the DPO's person search (trigram index, typos forgiven) and the
    #: coordinator's list filter (every word contained) both read it. Writers that know the name
    #: set it; a search folds any row still NULL before it looks (``fold_pending``), and a
    #: trigger sets it back to NULL when the name changes without it, so it never holds a name
    #: the person no longer has.
    search_key = Varchar(length=400, null=True, default=None)


class VolunteerStatusChange(Table, tablename="volunteer_status_change"):
    """One change of a volunteer's status, effective on a date. Append-only: the history of a
    person's service is never edited; ``Volunteer.status`` is the latest change's ``to_status``."""

    id = UUID(primary_key=True)
    volunteer = ForeignKey(references=Volunteer, on_delete=OnDelete.restrict, index=True)
    from_status = Varchar(length=20, choices=VolunteerStatus)
    to_status = Varchar(length=20, choices=VolunteerStatus)
    effective_on = Date()
    #: The account that recorded it (``cli`` for the command line, ``import`` ids for a file).
    recorded_by = Varchar(length=64)
    channel = Varchar(length=10)
    recorded_at = Timestamptz(default=TimestamptzNow())


class Employment(Table, tablename="employment"):
    """A volunteer is linked to a recipient organisation from ``starts_on`` until ``ends_on``
    (inclusive): works for an employer, or is transferring to or from another police force,
    applied to it too, or has their application processed by a partner."""

    id = UUID(primary_key=True)
    volunteer = ForeignKey(references=Volunteer, on_delete=OnDelete.restrict, index=True)
    employer = ForeignKey(references=Organisation, on_delete=OnDelete.restrict, index=True)
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    #: The purposes (codes) a link to another police force or a partner was made for; the gate
    #: releases through the link only for these (``purpose_not_for_link`` otherwise). Empty for
    #: a job with an employer, whose link is the job itself (``portal.organisations.links``).
    reasons = JSON(default=[])
