"""The coordinator's account and integration-token administration.

The coordinator creates accounts for employer contacts and volunteers and receives a one-time
activation link to pass on; the person chooses their own password through it. Accounts of the
force's own oversight roles (dpo, coordinator) are created on the server with ``esp-portal user
add`` and are out of the coordinator's reach here. Secrets are never returned after creation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import structlog

from portal.accounts.services import AccountService
from portal.accounts.tables import IntegrationToken, Invitation, Role, UserAccount
from portal.auth.tokens import issue_token, revoke_token
from portal.clock import utcnow
from portal.coordinator.schemas import (
    InvitationOut,
    InvitedUser,
    IssuedTokenOut,
    TokenCreate,
    TokenOut,
    TokenPage,
    UserCreate,
    UserOut,
    UserPage,
)
from portal.dbutil import json_value
from portal.errors import Forbidden, NotFound
from portal.ids import parse_id
from portal.settings import Settings

log = structlog.get_logger(__name__)

#: Roles whose accounts the coordinator may create and (re-)invite.
INVITABLE_ROLES = frozenset({Role.EMPLOYER, Role.POLICE_FORCE, Role.PARTNER, Role.VOLUNTEER})

_USER_COLUMNS = (
    UserAccount.id,
    UserAccount.email,
    UserAccount.role,
    UserAccount.organisation,
    UserAccount.volunteer,
    UserAccount.is_active,
    UserAccount.activated_at,
    UserAccount.created_at,
)


def activation_path(token: str) -> str:
    return f"/activate?token={quote(token, safe='')}"


def _user_out(row: dict[str, Any]) -> UserOut:
    return UserOut(
        id=str(row["id"]),
        email=row["email"],
        role=row["role"],
        employer_id=str(row["organisation"]) if row["organisation"] else None,
        volunteer_id=str(row["volunteer"]) if row["volunteer"] else None,
        is_active=row["is_active"],
        activated_at=row["activated_at"],
        created_at=row["created_at"],
    )


class UserAdministration:
    def __init__(self, accounts: AccountService, settings: Settings) -> None:
        self.accounts = accounts
        self.settings = settings

    async def _user(self, user_id: str) -> UserOut:
        key = parse_id(user_id)
        row = (
            await UserAccount.select(*_USER_COLUMNS).where(UserAccount.id == key).first()
            if key
            else None
        )
        if row is None:
            raise NotFound("No user has this id")
        return _user_out(row)

    async def create(self, data: UserCreate, invited_by: str) -> InvitedUser:
        created = await self.accounts.create_user(
            data.email,
            Role(data.role),
            organisation_id=str(data.employer_id) if data.employer_id else None,
            volunteer_id=str(data.volunteer_id) if data.volunteer_id else None,
            invited_by=invited_by,
        )
        assert created.invitation_token and created.invitation_expires_at
        user = await self._user(created.id)
        path = activation_path(created.invitation_token)
        return InvitedUser(
            **user.model_dump(),
            activation_token=created.invitation_token,
            activation_path=path,
            activation_url=self.settings.base_url + path,
            activation_expires_at=created.invitation_expires_at,
        )

    async def reinvite(self, user_id: str, invited_by: str) -> InvitationOut:
        """A fresh activation link; earlier unused links of the user stop working.

        For an account that is already active the link works as a password reset: the current
        password stays valid until the link is used, and using it ends every session.
        """
        user = await self._user(user_id)
        if Role(user.role) not in INVITABLE_ROLES:
            raise Forbidden(
                "Accounts with the dpo or coordinator role are managed on the server with "
                "'esp-portal user add'"
            )
        now = utcnow()
        await Invitation.update({Invitation.expires_at: now}).where(
            (Invitation.user == user.id)
            & Invitation.used_at.is_null()
            & (Invitation.expires_at > now)
        )
        token, expires = await self.accounts.invite(user.id, invited_by, send=True)
        log.info("account.reinvited", user_id=user.id, by=invited_by)
        path = activation_path(token)
        return InvitationOut(
            user_id=user.id,
            activation_token=token,
            activation_path=path,
            activation_url=self.settings.base_url + path,
            expires_at=expires,
        )

    async def list_users(self, limit: int, offset: int, role: Role | None = None) -> UserPage:
        count = UserAccount.count()
        query = UserAccount.select(*_USER_COLUMNS)
        if role is not None:
            count = count.where(UserAccount.role == role.value)
            query = query.where(UserAccount.role == role.value)
        rows = (
            await query.order_by(UserAccount.email)
            .order_by(UserAccount.id)
            .limit(limit)
            .offset(offset)
        )
        return UserPage(
            items=[_user_out(r) for r in rows], total=await count, limit=limit, offset=offset
        )


_TOKEN_COLUMNS = (
    IntegrationToken.id,
    IntegrationToken.name,
    IntegrationToken.prefix,
    IntegrationToken.scopes,
    IntegrationToken.created_at,
    IntegrationToken.expires_at,
    IntegrationToken.revoked_at,
    IntegrationToken.last_used_at,
)


def _token_out(row: dict[str, Any], now: dt.datetime) -> TokenOut:
    scopes = json_value(row["scopes"])
    status = (
        "revoked"
        if row["revoked_at"] is not None
        else "expired"
        if row["expires_at"] <= now
        else "active"
    )
    return TokenOut(
        id=str(row["id"]),
        name=row["name"],
        prefix=row["prefix"],
        scopes=sorted(scopes),
        status=status,
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


class TokenAdministration:
    async def _token(self, token_id: str) -> TokenOut:
        key = parse_id(token_id)
        row = (
            await IntegrationToken.select(*_TOKEN_COLUMNS).where(IntegrationToken.id == key).first()
            if key
            else None
        )
        if row is None:
            raise NotFound("No integration token has this id")
        return _token_out(row, utcnow())

    async def issue(self, data: TokenCreate, created_by: str) -> IssuedTokenOut:
        issued = await issue_token(data.name, data.scopes, data.valid_days, created_by)
        log.info("token.issued", token_id=issued.id, scopes=data.scopes, by=created_by)
        stored = await self._token(issued.id)
        return IssuedTokenOut(**stored.model_dump(), token=issued.token)

    async def list_tokens(self, limit: int, offset: int) -> TokenPage:
        now = utcnow()
        total = await IntegrationToken.count()
        rows = (
            await IntegrationToken.select(*_TOKEN_COLUMNS)
            .order_by(IntegrationToken.created_at, ascending=False)
            .order_by(IntegrationToken.id)
            .limit(limit)
            .offset(offset)
        )
        return TokenPage(
            items=[_token_out(r, now) for r in rows], total=total, limit=limit, offset=offset
        )

    async def revoke(self, token_id: str, revoked_by: str) -> TokenOut:
        """Revoke a token (idempotent: revoking a revoked token changes nothing)."""
        token = await self._token(token_id)
        if await revoke_token(token.id):
            log.info("token.revoked", token_id=token.id, by=revoked_by)
        return await self._token(token.id)
