"""Self-service password reset ("Forgot your password?"): the one home of reset-link logic.

A request for a known, active account writes a one-time link (an :class:`Invitation` row: the
token stored only as its digest, single use, expiring after ``ESP_PASSWORD_RESET_MINUTES``) and,
in the same transaction, the email that carries it to the outbox. Following the link is the
activation page: choosing a password there uses the token up and signs the account out
everywhere (``AccountService.activate`` revokes every session).

Whether or not the address has an account, the caller gets the same answer, so the page cannot be
used to find out who has one. Each account gets at most ``ESP_PASSWORD_RESET_PER_HOUR`` links an
hour; further requests are answered the same way and send nothing. Every request is logged by
account id and outcome (never the address). The email is account security: it is sent whatever
the contact preferences, and to a volunteer's account it is still a disclosure of their address
to the messaging provider, ledgered by the gate when it is sent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlencode

import structlog

from portal.accounts.emails import normalise_email
from portal.accounts.secrets import digest, new_token
from portal.accounts.tables import Invitation, UserAccount
from portal.clock import utcnow
from portal.messages.outbox import enqueue
from portal.settings import Settings

log = structlog.get_logger(__name__)


class PasswordRecovery:
    """Issues reset links by email through the outbox."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def request_reset(self, email: str) -> None:
        """Send a reset link to ``email`` if it names an active account; the same outcome if not."""
        user = (
            await UserAccount.select(UserAccount.id, UserAccount.email, UserAccount.volunteer)
            .where(
                (UserAccount.email == normalise_email(email)) & (UserAccount.is_active == True)  # noqa: E712
            )
            .first()
        )
        if user is None:
            log.info("account.reset_requested", outcome="no_account")
            return
        user_id = str(user["id"])
        since = utcnow() - dt.timedelta(hours=1)
        recent = await Invitation.count().where(
            (Invitation.user == user_id)
            & Invitation.created_by.is_null()
            & (Invitation.created_at > since)
        )
        if recent >= self.settings.password_reset_per_hour:
            log.info("account.reset_requested", user_id=user_id, outcome="rate_limited")
            return
        volunteer = str(user["volunteer"]) if user["volunteer"] else None
        await self._issue(user_id, user["email"], volunteer)
        log.info("account.reset_requested", user_id=user_id, outcome="sent")

    async def _issue(self, user_id: str, address: str, volunteer_id: str | None) -> None:
        token = new_token()
        invitation_id = uuid.uuid4()
        minutes = self.settings.password_reset_minutes
        link = f"{self.settings.base_url}/activate?{urlencode({'token': token})}"
        async with Invitation._meta.db.transaction():
            await Invitation.insert(
                Invitation(
                    id=invitation_id,
                    user=user_id,
                    token_hash=digest(token),
                    created_by=None,
                    expires_at=utcnow() + dt.timedelta(minutes=minutes),
                )
            )
            await enqueue(
                self.settings,
                kind="password_reset",
                channel="email",
                recipient=address,
                idempotency_key=f"password_reset:{invitation_id}",
                context={"link": link, "minutes": minutes},
                # a volunteer's address given to the provider is a disclosure: the gate records
                # it when the email is sent (account security: whatever their preferences)
                volunteer_id=volunteer_id,
                security=True,
            )
