"""Account administration: disable and re-enable, reset a password, reset a lost authenticator.

Used by ``esp-portal user ...`` (operators on the server). Each action ends the account's
sessions at once, so a disabled account or a replaced password stops working on every device
immediately, not when a session would have expired.

- A password reset removes the current password at once and gives a one-time link (the same
  kind as an activation link) with which the person chooses a new one; earlier unused links of
  the account stop working.
- An authenticator reset (dpo and coordinator accounts) replaces the TOTP secret: the old app's
  codes stop working and the person must enrol again. It also gives a one-time link, since the
  person cannot sign in without a code; the link's page shows the new secret once, after the
  new password is chosen (the activation page shows it while the account has never used a code).

Every action leaves a row in ``account_action`` (who acted, on whom, when, what, from where), in
the same transaction as the change itself, so there is no change without its record. The table
is append-only (database triggers). These are security events about accounts, not disclosures
of volunteer data, so they are not ledger entries: SPEC's ledger kinds are disclosures, consents
and agreements, and the ledger records pseudonymous subjects, not staff accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from portal.accounts import totp
from portal.accounts.emails import normalise_email
from portal.accounts.revocation import revoke_all_sessions
from portal.accounts.schemas import AccountActionOut
from portal.accounts.services import AccountService
from portal.accounts.tables import (
    ROLES_NEEDING_TOTP,
    AccountAction,
    Invitation,
    Role,
    UserAccount,
)
from portal.clock import utcnow
from portal.errors import Conflict, NotFound
from portal.ids import parse_id

log = structlog.get_logger(__name__)

#: What ``account_action.action`` may say, and how the pages word it.
ACTIONS = {
    "disable": "Disabled",
    "enable": "Enabled",
    "reset_password": "Password reset",
    "reset_totp": "Authenticator reset",
}
#: ``acted_by`` of an operator on the server (``esp-portal user ...``).
OPERATOR = "cli"


@dataclass(frozen=True)
class AccountRow:
    id: str
    email: str
    role: str
    is_active: bool
    activated: bool


@dataclass(frozen=True)
class ResetLink:
    user_id: str
    token: str
    expires_at: dt.datetime


class AccountAdministration:
    def __init__(self, accounts: AccountService) -> None:
        self.accounts = accounts

    async def find(self, who: str) -> AccountRow:
        """The account named by its id or its email address, or NotFound."""
        key = parse_id(who)
        condition = UserAccount.id == key if key else UserAccount.email == normalise_email(who)
        row = (
            await UserAccount.select(
                UserAccount.id,
                UserAccount.email,
                UserAccount.role,
                UserAccount.is_active,
                UserAccount.activated_at,
            )
            .where(condition)
            .first()
        )
        if row is None:
            raise NotFound("No account has this id or email address")
        return AccountRow(
            str(row["id"]),
            row["email"],
            row["role"],
            bool(row["is_active"]),
            row["activated_at"] is not None,
        )

    async def list(self, role: Role | None = None) -> list[AccountRow]:
        query = UserAccount.select(
            UserAccount.id,
            UserAccount.email,
            UserAccount.role,
            UserAccount.is_active,
            UserAccount.activated_at,
        )
        if role is not None:
            query = query.where(UserAccount.role == role.value)
        rows = await query.order_by(UserAccount.email)
        return [
            AccountRow(
                str(r["id"]),
                r["email"],
                r["role"],
                bool(r["is_active"]),
                r["activated_at"] is not None,
            )
            for r in rows
        ]

    async def set_active(
        self, who: str, active: bool, *, by: str | None, channel: str = OPERATOR
    ) -> AccountRow:
        """Disable (every session ends at once) or re-enable an account."""
        account = await self.find(who)
        async with UserAccount._meta.db.transaction():
            await UserAccount.update({UserAccount.is_active: active}).where(
                UserAccount.id == account.id
            )
            if not active:
                await revoke_all_sessions(account.id)
            await _record(account.id, "enable" if active else "disable", by, channel)
        log.info("account.enabled" if active else "account.disabled", user_id=account.id, by=by)
        return await self.find(account.id)

    async def _new_link(self, account: AccountRow, by: str | None) -> ResetLink:
        now = utcnow()
        await Invitation.update({Invitation.expires_at: now}).where(
            (Invitation.user == account.id)
            & Invitation.used_at.is_null()
            & (Invitation.expires_at > now)
        )
        token, expires = await self.accounts.invite(account.id, by)
        return ResetLink(account.id, token, expires)

    async def reset_password(
        self, who: str, *, by: str | None = None, channel: str = OPERATOR
    ) -> ResetLink:
        """The old password stops working now; a one-time link lets the person choose anew."""
        account = await self.find(who)
        if not account.is_active:
            raise Conflict("This account is disabled: enable it before resetting its password")
        async with UserAccount._meta.db.transaction():
            await UserAccount.update({UserAccount.password_hash: None}).where(
                UserAccount.id == account.id
            )
            await revoke_all_sessions(account.id)
            link = await self._new_link(account, by)
            await _record(account.id, "reset_password", by, channel)
        log.info("account.password_reset", user_id=account.id, by=by)
        return link

    async def reset_totp(
        self, who: str, *, by: str | None = None, channel: str = OPERATOR
    ) -> ResetLink:
        """A lost authenticator: a new secret (the old codes stop working), enrolment again."""
        account = await self.find(who)
        if Role(account.role) not in ROLES_NEEDING_TOTP:
            raise Conflict(f"A {account.role} account signs in without an authenticator app")
        if not account.is_active:
            raise Conflict("This account is disabled: enable it before resetting its authenticator")
        async with UserAccount._meta.db.transaction():
            await UserAccount.update(
                {
                    UserAccount.totp_secret: totp.new_secret(),
                    UserAccount.totp_last_step: 0,  # never used: the link's page shows it
                    UserAccount.password_hash: None,
                }
            ).where(UserAccount.id == account.id)
            await revoke_all_sessions(account.id)
            link = await self._new_link(account, by)
            await _record(account.id, "reset_totp", by, channel)
        log.info("account.totp_reset", user_id=account.id, by=by)
        return link

    async def actions(self, limit: int, offset: int) -> tuple[Sequence[AccountActionOut], int]:
        """The recorded administration actions, newest first, and how many there are."""
        total = await AccountAction.count()
        rows = (
            await AccountAction.select()
            .order_by(AccountAction.acted_at, ascending=False)
            .order_by(AccountAction.id)
            .limit(limit)
            .offset(offset)
        )
        ids = {str(r["user"]) for r in rows} | {
            r["acted_by"] for r in rows if parse_id(r["acted_by"])
        }
        emails = {
            str(r["id"]): r["email"]
            for r in (
                await UserAccount.select(UserAccount.id, UserAccount.email).where(
                    UserAccount.id.is_in(list(ids))
                )
                if ids
                else []
            )
        }
        return [
            AccountActionOut(
                id=str(r["id"]),
                user_id=str(r["user"]),
                user_email=emails.get(str(r["user"]), ""),
                action=r["action"],
                acted_by=r["acted_by"],
                acted_by_email=emails.get(r["acted_by"]),
                channel=r["channel"],
                acted_at=r["acted_at"],
            )
            for r in rows
        ], total


async def _record(user_id: str, action: str, by: str | None, channel: str) -> None:
    """The audit row of one action (inside the action's own transaction)."""
    assert action in ACTIONS
    await AccountAction.insert(
        AccountAction(user=user_id, action=action, acted_by=(by or OPERATOR)[:64], channel=channel)
    )
