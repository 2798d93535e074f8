"""Request and response bodies for the coordinator's user and integration-token routes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from portal.accounts.schemas import AccountActionOut
from portal.auth.tokens import KNOWN_SCOPES
from portal.organisations.schemas import Email, Input, Text


class UserCreate(Input):
    """An account for an employer contact or a volunteer; they choose their own password."""

    email: Email
    role: Literal["employer", "police_force", "partner", "volunteer"]
    employer_id: uuid.UUID | None = Field(
        default=None,
        description="Required for employer, police_force and partner: the organisation, "
        "of that kind, the user acts for",
    )
    volunteer_id: uuid.UUID | None = Field(default=None, description="Required for volunteer")


class UserOut(BaseModel):
    id: str
    email: str
    role: str
    employer_id: str | None
    volunteer_id: str | None
    is_active: bool
    activated_at: dt.datetime | None
    created_at: dt.datetime


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class InvitationOut(BaseModel):
    user_id: str
    activation_token: str = Field(description="Shown once; pass it to the person, never store it")
    activation_path: str = Field(description="/activate?token=...")
    activation_url: str = Field(description="activation_path on the configured base URL")
    expires_at: dt.datetime


class InvitedUser(UserOut):
    activation_token: str = Field(description="Shown once; pass it to the person, never store it")
    activation_path: str
    activation_url: str
    activation_expires_at: dt.datetime


class TokenCreate(Input):
    name: Annotated[Text, StringConstraints(max_length=100)]
    scopes: list[str] = Field(min_length=1, max_length=20)
    valid_days: int = Field(ge=1, le=366)

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - KNOWN_SCOPES)
        if unknown:
            raise PydanticCustomError(
                "unknown_scope",
                "unknown scope(s) {unknown}; known: {known}",
                {"unknown": ", ".join(unknown), "known": ", ".join(sorted(KNOWN_SCOPES))},
            )
        return sorted(set(value))


class TokenOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it")
    scopes: list[str]
    status: Literal["active", "expired", "revoked"]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class IssuedTokenOut(TokenOut):
    token: str = Field(description="Shown once: send it as 'Authorization: Bearer <token>'")


class TokenPage(BaseModel):
    items: list[TokenOut]
    total: int
    limit: int
    offset: int


class AccountActionPage(BaseModel):
    items: list[AccountActionOut]
    total: int
    limit: int
    offset: int


class VolunteerImportOut(BaseModel):
    """What a volunteer file added; the same file again adds nothing (200)."""

    lines: int = Field(description="Volunteer lines read (header and blank lines not counted)")
    volunteers_added: int
    volunteers_existing: int = Field(
        description="Emails already recorded: those volunteers are left as they are"
    )
    links_added: int
    links_existing: int = Field(description="Jobs already recorded (same employer, first day)")
