"""Request and response bodies for employers, volunteers and employment links (the API edge).

Input models forbid unknown fields and bound every string, so a typo in a field name is an error
naming that field rather than a silently ignored value.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    EmailStr,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from portal.apibody import StrictBody
from portal.organisations.tables import VolunteerStatus

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PHONE = re.compile(r"^\+?[0-9 ()-]+$")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


def _uk_style_phone(value: str) -> str:
    if not _PHONE.match(value):
        raise PydanticCustomError(
            "phone", "may contain only digits, spaces, brackets, '-' and a leading '+'"
        )
    digits = sum(ch.isdigit() for ch in value)
    if not 7 <= digits <= 15:
        raise PydanticCustomError("phone", "must have between 7 and 15 digits")
    return value


def _lower_email(value: str) -> str:
    return value.lower()


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    AfterValidator(_no_control_characters),
]
Name = Annotated[Text, StringConstraints(max_length=200)]
Email = Annotated[EmailStr, StringConstraints(max_length=254), AfterValidator(_lower_email)]
PurposeCode = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=7, max_length=40),
    AfterValidator(_uk_style_phone),
]


class SizeBand(StrEnum):
    """Employer size by head count (the UK Companies Act bands)."""

    MICRO = "micro"  # fewer than 10
    SMALL = "small"  # 10 to 49
    MEDIUM = "medium"  # 50 to 249
    LARGE = "large"  # 250 or more


class Input(StrictBody):
    """The base of this domain's request bodies."""


# Employers ---------------------------------------------------------------------------------------


class RecipientOrgKind(StrEnum):
    """The kinds of organisation the force shares data with under an agreement."""

    EMPLOYER = "employer"  # an ESP employer: data sharing agreement
    POLICE_FORCE = "police_force"  # another police force: information sharing agreement
    PARTNER = "partner"  # processes applications for the force: processing contract


class EmployerCreate(Input):
    name: Name = Field(description="Unique (case-insensitively) among organisations")
    kind: RecipientOrgKind = Field(
        default=RecipientOrgKind.EMPLOYER,
        description="employer (default), police_force (another force) or partner "
        "(an organisation processing applications for the force)",
    )
    sector: Annotated[Text, StringConstraints(max_length=100)] | None = None
    size_band: SizeBand | None = Field(
        default=None, description="micro (<10), small (10-49), medium (50-249), large (250+)"
    )
    contact_email: Email | None = None


class EmployerOut(BaseModel):
    id: str
    name: str
    kind: str
    sector: str | None
    size_band: str | None
    contact_email: str | None
    created_at: dt.datetime


class EmployerLink(BaseModel):
    """One employment spell of a volunteer, named, as the force's own records hold it."""

    employer_id: str
    name: str
    current: bool = Field(description="employed there today (London date)")
    starts_on: dt.date
    ends_on: dt.date | None


class EmployerPage(BaseModel):
    items: list[EmployerOut]
    total: int
    limit: int
    offset: int


# Volunteers --------------------------------------------------------------------------------------


class VolunteerCreate(Input):
    display_name: Name
    email: Email = Field(description="Unique among volunteers")
    phone: Phone | None = None
    status: VolunteerStatus = VolunteerStatus.APPLICANT
    contact_by_email: bool = True
    contact_by_sms: bool = False
    contact_by_phone: bool = False


class VolunteerUpdate(Input):
    """Only the fields sent are changed; at least one is required, none may be null."""

    status: VolunteerStatus | None = None
    contact_by_email: bool | None = None
    contact_by_sms: bool | None = None
    contact_by_phone: bool | None = None
    #: A daily message counting yesterday's disclosures of the volunteer's data (opt-in).
    disclosure_digest: bool | None = None


class StatusChangeIn(Input):
    """A move to ``status`` on ``effective_on`` (allowed moves: ``portal.organisations.status``)."""

    status: VolunteerStatus
    effective_on: dt.date = Field(
        description="The day the change took effect: not in the future, and not before the "
        "previous change"
    )


class StatusChangeOut(BaseModel):
    id: str
    from_status: VolunteerStatus
    to_status: VolunteerStatus
    effective_on: dt.date
    recorded_by: str
    channel: str
    recorded_at: dt.datetime


class VolunteerSummary(BaseModel):
    id: str
    subject: str = Field(description="The pseudonymous id the ledger records")
    display_name: str
    status: VolunteerStatus


class EmploymentOut(BaseModel):
    id: str
    volunteer_id: str
    employer_id: str
    starts_on: dt.date
    ends_on: dt.date | None
    created_at: dt.datetime
    reasons: list[str] = Field(
        default=[],
        description="The purposes a link to another police force or a partner was made for "
        "(empty for a job with an employer)",
    )


class VolunteerOut(VolunteerSummary):
    email: str
    phone: str | None
    contact_by_email: bool
    contact_by_sms: bool
    contact_by_phone: bool
    disclosure_digest: bool = False
    created_at: dt.datetime
    employments: list[EmploymentOut] = []
    next_statuses: list[VolunteerStatus] = Field(
        default=[], description="The statuses this volunteer may move to now"
    )
    status_history: list[StatusChangeOut] = Field(
        default=[], description="Every recorded change of status, oldest first"
    )


class VolunteerPage(BaseModel):
    items: list[VolunteerSummary]
    total: int
    limit: int
    offset: int


# Employment links --------------------------------------------------------------------------------


class EmploymentCreate(Input):
    volunteer_id: uuid.UUID
    employer_id: uuid.UUID
    starts_on: dt.date
    ends_on: dt.date | None = Field(default=None, description="Inclusive; empty while ongoing")
    reasons: list[PurposeCode] | None = Field(
        default=None,
        max_length=10,
        description="For a link to another police force or a partner (required there): the "
        "purposes of that kind it is made for, e.g. force.service-transfer; the gate releases "
        "through the link only for these. Left out for a job with an employer.",
    )


class OrganisationLink(BaseModel):
    """A volunteer linked to an organisation, named, as the force's own records hold it."""

    id: str
    volunteer_id: str
    display_name: str
    starts_on: dt.date
    ends_on: dt.date | None
    reasons: list[str]


class EmploymentEnd(Input):
    ends_on: dt.date = Field(description="The last day of the employment (inclusive)")
