"""Request and response bodies of the authentication API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from portal.apibody import StrictBody


class LoginRequest(StrictBody):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    otp: str | None = Field(default=None, max_length=12, description="TOTP code (dpo, coordinator)")


class Me(BaseModel):
    id: str
    email: str | None = None
    role: str | None
    organisation_id: str | None = None
    volunteer_id: str | None = None
    via: str
    scopes: list[str] = []


class LoginResponse(BaseModel):
    user: Me
    csrf_token: str = Field(description="Send as X-CSRF-Token on every unsafe request")
    expires_at: dt.datetime


class ActivateRequest(StrictBody):
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class ActivateResponse(BaseModel):
    user_id: str
    otpauth_uri: str | None = Field(
        default=None, description="Shown once: add it to an authenticator app"
    )
