"""Sign-in: password, TOTP where the role needs it, lockout and a per-address rate limit.

Unknown email, wrong password, wrong code and a locked account all get the same answer, and an
unknown email still costs one Argon2 verification, so the response does not reveal whether an
account exists. Only after a correct password does a dpo or coordinator learn that a code is due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog

from portal.accounts import totp
from portal.accounts.emails import normalise_email
from portal.accounts.passwords import PasswordHashing
from portal.accounts.tables import ROLES_NEEDING_TOTP, LoginAttempt, Role, UserAccount
from portal.auth.sessions import NewSession, SessionStore
from portal.clock import utcnow
from portal.errors import TooManyRequests, Unauthenticated
from portal.settings import Settings

log = structlog.get_logger(__name__)

GENERIC_FAILURE = (
    "The email address, password or code is not correct, or the account is temporarily locked"
)
RATE_WINDOW = dt.timedelta(minutes=1)
ATTEMPT_RETENTION = dt.timedelta(days=1)


class LoginFailed(Unauthenticated):
    title = "Sign-in failed"
    type_slug = "login-failed"


class OtpRequired(Unauthenticated):
    title = "Code required"
    type_slug = "otp-required"


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    role: Role
    organisation_id: str | None
    volunteer_id: str | None
    session: NewSession


class LoginService:
    def __init__(self, settings: Settings, hashing: PasswordHashing) -> None:
        self.settings = settings
        self.hashing = hashing
        self.sessions = SessionStore(settings)

    async def _check_rate(self, client: str) -> None:
        now = utcnow()
        recent = await LoginAttempt.count().where(
            (LoginAttempt.client == client) & (LoginAttempt.attempted_at > now - RATE_WINDOW)
        )
        if recent >= self.settings.login_rate_limit_per_minute:
            log.warning("auth.rate_limited", attempts=recent)
            raise TooManyRequests("Too many sign-in attempts from this address; wait a minute")
        await LoginAttempt.delete().where(LoginAttempt.attempted_at < now - ATTEMPT_RETENTION)
        await LoginAttempt.insert(LoginAttempt(client=client, attempted_at=now))

    async def _record_failure(self, user_id: str) -> None:
        rows = (
            await UserAccount.update({UserAccount.failed_logins: UserAccount.failed_logins + 1})
            .where(UserAccount.id == user_id)
            .returning(UserAccount.failed_logins)
        )
        failures = rows[0]["failed_logins"] if rows else 0
        if failures >= self.settings.lockout_threshold:
            until = utcnow() + dt.timedelta(minutes=self.settings.lockout_minutes)
            await UserAccount.update(
                {UserAccount.locked_until: until, UserAccount.failed_logins: 0}
            ).where(UserAccount.id == user_id)
            log.warning("auth.account_locked", user_id=user_id)

    async def login(self, email: str, password: str, otp: str | None, client: str) -> SignedIn:
        await self._check_rate(client)
        user = (
            await UserAccount.objects().where(UserAccount.email == normalise_email(email)).first()
        )
        password_ok = await self.hashing.verify_async(
            user.password_hash if user else None, password
        )
        if user is None:
            log.info("auth.login_failed", reason="unknown_account")
            raise LoginFailed(GENERIC_FAILURE)
        user_id = str(user.id)
        locked = user.locked_until is not None and user.locked_until > utcnow()
        if locked or not user.is_active or not password_ok:
            if not locked:
                await self._record_failure(user_id)
            log.info("auth.login_failed", user_id=user_id, reason="locked" if locked else "bad")
            raise LoginFailed(GENERIC_FAILURE)
        role = Role(user.role)
        if role in ROLES_NEEDING_TOTP:
            await self._check_totp(user, otp)
        await UserAccount.update(
            {UserAccount.failed_logins: 0, UserAccount.locked_until: None}
        ).where(UserAccount.id == user_id)
        if self.hashing.needs_rehash(user.password_hash or ""):
            await UserAccount.update(
                {UserAccount.password_hash: await self.hashing.hash_async(password)}
            ).where(UserAccount.id == user_id)
        session = await self.sessions.create(user_id)
        log.info("auth.login", user_id=user_id, role=role.value)
        return SignedIn(
            user_id=user_id,
            role=role,
            organisation_id=str(user.organisation) if user.organisation else None,
            volunteer_id=str(user.volunteer) if user.volunteer else None,
            session=session,
        )

    async def _check_totp(self, user: UserAccount, otp: str | None) -> None:
        user_id = str(user.id)
        if not user.totp_secret:
            log.error("auth.totp_not_enrolled", user_id=user_id)
            raise LoginFailed(GENERIC_FAILURE)
        if not otp:
            raise OtpRequired("This account needs the 6-digit code from its authenticator app")
        step = totp.matching_step(user.totp_secret, otp.strip())
        if step is None:
            await self._record_failure(user_id)
            log.info("auth.login_failed", user_id=user_id, reason="bad_code")
            raise LoginFailed(GENERIC_FAILURE)
        # Compare-and-set: a code (step) is accepted once, even with parallel requests.
        accepted = (
            await UserAccount.update({UserAccount.totp_last_step: step})
            .where((UserAccount.id == user_id) & (UserAccount.totp_last_step < step))
            .returning(UserAccount.id)
        )
        if not accepted:
            await self._record_failure(user_id)
            log.warning("auth.totp_replay", user_id=user_id)
            raise LoginFailed(GENERIC_FAILURE)
