"""Creating accounts, inviting people and activating invitations.

Nobody chooses another person's password: the coordinator creates an account and gets a one-time
activation link to pass on; the person sets their own password through it. Only the ``user add``
command (run by an operator on the server) may set a password directly, read from stdin.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

import structlog

from portal.accounts import totp
from portal.accounts.emails import normalise_email
from portal.accounts.passwords import PasswordHashing, PasswordRejected, check_policy
from portal.accounts.revocation import revoke_all_sessions
from portal.accounts.secrets import digest, new_token
from portal.accounts.tables import (
    ROLES_NEEDING_TOTP,
    Invitation,
    Role,
    UserAccount,
)
from portal.clock import utcnow
from portal.errors import Conflict, NotFound
from portal.fielderrors import field_error
from portal.messages.outbox import enqueue
from portal.organisations.tables import Organisation, OrganisationKind, Volunteer
from portal.settings import Settings

log = structlog.get_logger(__name__)

LinkState = Literal["usable", "used", "expired", "unknown"]

#: Roles whose users act for a recipient organisation, and the kind that organisation must be.
ORGANISATION_OF_ROLE: dict[Role, OrganisationKind] = {
    Role.EMPLOYER: OrganisationKind.EMPLOYER,
    Role.POLICE_FORCE: OrganisationKind.POLICE_FORCE,
    Role.PARTNER: OrganisationKind.PARTNER,
}


@dataclass(frozen=True)
class CreatedUser:
    id: str
    email: str
    role: Role
    otpauth_uri: str | None = None
    invitation_token: str | None = None
    invitation_expires_at: dt.datetime | None = None


class AccountService:
    def __init__(self, settings: Settings, hashing: PasswordHashing) -> None:
        self.settings = settings
        self.hashing = hashing

    async def _check_links(
        self, role: Role, organisation_id: str | None, volunteer_id: str | None
    ) -> None:
        kind = ORGANISATION_OF_ROLE.get(role)
        if kind is not None:
            words = kind.value.replace("_", " ")
            if not organisation_id:
                raise field_error("employer_id", f"a {role.value} user needs its organisation")
            exists = await Organisation.exists().where(
                (Organisation.id == organisation_id) & (Organisation.kind == kind.value)
            )
            if not exists:
                raise field_error("employer_id", f"no {words} organisation has this id")
        elif organisation_id:
            raise field_error("employer_id", f"a {role.value} user has no employer")
        if role is Role.VOLUNTEER:
            if not volunteer_id:
                raise field_error("volunteer_id", "a volunteer user needs its volunteer record")
            if not await Volunteer.exists().where(Volunteer.id == volunteer_id):
                raise field_error("volunteer_id", "no volunteer has this id")
            if await UserAccount.exists().where(UserAccount.volunteer == volunteer_id):
                raise Conflict("This volunteer already has an account")
        elif volunteer_id:
            raise field_error("volunteer_id", f"a {role.value} user has no volunteer record")

    async def create_user(
        self,
        email: str,
        role: Role,
        *,
        organisation_id: str | None = None,
        volunteer_id: str | None = None,
        password: str | None = None,
        invited_by: str | None = None,
    ) -> CreatedUser:
        """Create an account with a password (operator CLI) or with an invitation (API)."""
        email = normalise_email(email)
        await self._check_links(role, organisation_id, volunteer_id)
        if await UserAccount.exists().where(UserAccount.email == email):
            raise Conflict("An account with this email address already exists")
        password_hash = None
        if password is not None:
            try:
                check_policy(password, email)
            except PasswordRejected as exc:
                raise field_error("password", f"the password {exc}") from None
            password_hash = await self.hashing.hash_async(password)
        secret = totp.new_secret() if role in ROLES_NEEDING_TOTP else None
        user = UserAccount(
            email=email,
            role=role.value,
            organisation=organisation_id,
            volunteer=volunteer_id,
            password_hash=password_hash,
            totp_secret=secret,
            activated_at=utcnow() if password_hash else None,
        )
        await user.save()
        user_id = str(user.id)
        log.info("account.created", user_id=user_id, role=role.value, by=invited_by)
        uri = totp.provisioning_uri(secret, email) if secret else None
        if password_hash is not None:
            return CreatedUser(id=user_id, email=email, role=role, otpauth_uri=uri)
        token, expires = await self.invite(user_id, invited_by, send=True)
        return CreatedUser(
            id=user_id,
            email=email,
            role=role,
            invitation_token=token,
            invitation_expires_at=expires,
        )

    async def invite(
        self, user_id: str, invited_by: str | None, *, send: bool = False
    ) -> tuple[str, dt.datetime]:
        """A one-time link; with ``send``, also emailed to the account in the same transaction
        (account security: sent whatever the preferences; a volunteer's address passes the
        gate when the email is sent)."""
        token = new_token()
        expires = utcnow() + dt.timedelta(hours=self.settings.invitation_hours)
        invitation_id = uuid.uuid4()
        async with Invitation._meta.db.transaction():
            await Invitation.insert(
                Invitation(
                    id=invitation_id,
                    user=user_id,
                    token_hash=digest(token),
                    created_by=invited_by,
                    expires_at=expires,
                )
            )
            if send:
                await self._send_invitation(user_id, token, str(invitation_id))
        return token, expires

    async def _send_invitation(self, user_id: str, token: str, invitation_id: str) -> None:
        user = (
            await UserAccount.select(UserAccount.email, UserAccount.volunteer)
            .where(UserAccount.id == user_id)
            .first()
        )
        if user is None:
            return
        await enqueue(
            self.settings,
            kind="invitation",
            channel="email",
            recipient=str(user["email"]),
            idempotency_key=f"invitation:{invitation_id}",
            context={
                "link": f"{self.settings.base_url}/activate?{urlencode({'token': token})}",
                "hours": self.settings.invitation_hours,
            },
            volunteer_id=str(user["volunteer"]) if user["volunteer"] else None,
            security=True,
        )

    async def link_state(self, token: str) -> LinkState:
        """Whether a one-time link can still be used, so its page can say so before anyone
        types a password: ``usable``, ``used``, ``expired`` or ``unknown``."""
        row = (
            await Invitation.select(Invitation.used_at, Invitation.expires_at)
            .where(Invitation.token_hash == digest(token))
            .first()
        )
        if row is None:
            return "unknown"
        if row["used_at"] is not None:
            return "used"
        return "expired" if row["expires_at"] <= utcnow() else "usable"

    async def activate(self, token: str, password: str) -> tuple[str, str | None]:
        """Set the invited user's password; returns (user id, otpauth URI for TOTP roles)."""
        invitation = (
            await Invitation.objects().where(Invitation.token_hash == digest(token)).first()
        )
        if (
            invitation is None
            or invitation.used_at is not None
            or invitation.expires_at <= utcnow()
        ):
            raise NotFound("This activation link is unknown, used or expired")
        user = await UserAccount.objects().where(UserAccount.id == invitation.user).first()
        if user is None:
            raise NotFound("This activation link is unknown, used or expired")
        try:
            check_policy(password, user.email)
        except PasswordRejected as exc:
            raise field_error("password", f"the password {exc}") from None
        claimed = (
            await Invitation.update({Invitation.used_at: utcnow()})
            .where((Invitation.id == invitation.id) & Invitation.used_at.is_null())
            .returning(Invitation.id)
        )
        if not claimed:
            raise NotFound("This activation link is unknown, used or expired")
        await UserAccount.update(
            {
                UserAccount.password_hash: await self.hashing.hash_async(password),
                UserAccount.activated_at: utcnow(),
                UserAccount.failed_logins: 0,
            }
        ).where(UserAccount.id == user.id)
        await revoke_all_sessions(str(user.id))
        log.info("account.activated", user_id=str(user.id))
        uri = (
            totp.provisioning_uri(user.totp_secret, user.email)
            # Shown while no code was ever used with it: a new account, or one whose lost
            # authenticator was reset. A plain password reset never shows the secret again.
            if user.totp_secret
            and Role(user.role) in ROLES_NEEDING_TOTP
            and not user.totp_last_step
            else None
        )
        return str(user.id), uri
