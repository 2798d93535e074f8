"""Accounts and the credentials that prove them.

Secrets that would let someone act as a user (session tokens, invitation tokens, integration
tokens) are stored only as SHA-256 digests, so a copy of the database does not hand out sessions.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.accounts.roles import Role as Role  # re-exported: imported from here too
from portal.organisations.tables import Organisation, Volunteer

ROLES_NEEDING_TOTP = frozenset({Role.DPO, Role.COORDINATOR})


class UserAccount(Table, tablename="user_account"):
    id = UUID(primary_key=True)
    email = Varchar(length=254, unique=True)
    role = Varchar(length=20, choices=Role, index=True)
    organisation = ForeignKey(
        references=Organisation, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    volunteer = ForeignKey(
        references=Volunteer, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    password_hash = Varchar(length=255, null=True, default=None)
    totp_secret = Varchar(length=64, null=True, default=None)
    totp_last_step = BigInt(default=0)
    is_active = Boolean(default=True)
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    activated_at = Timestamptz(null=True, default=None)


class Invitation(Table, tablename="invitation"):
    """A one-time link with which a new user chooses their own password."""

    id = UUID(primary_key=True)
    user = ForeignKey(references=UserAccount, on_delete=OnDelete.restrict, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_by = ForeignKey(
        references=UserAccount, on_delete=OnDelete.restrict, null=True, default=None
    )
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class UserSession(Table, tablename="user_session"):
    id = UUID(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    csrf_token = Varchar(length=64)
    user = ForeignKey(references=UserAccount, on_delete=OnDelete.restrict, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class LoginAttempt(Table, tablename="login_attempt"):
    """Recent sign-in attempts per client address, for the rate limit. Pruned, not kept."""

    id = UUID(primary_key=True)
    client = Varchar(length=64, index=True)
    attempted_at = Timestamptz(default=TimestamptzNow(), index=True)
    succeeded = Boolean(default=False)


class IntegrationToken(Table, tablename="integration_token"):
    id = UUID(primary_key=True)
    name = Varchar(length=100)
    prefix = Varchar(length=16)
    token_hash = Varchar(length=64, unique=True)
    scopes = JSON(default=[])
    created_by = ForeignKey(
        references=UserAccount, on_delete=OnDelete.restrict, null=True, default=None
    )
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class AccountAction(Table, tablename="account_action"):
    """What an administrator did to an account: who, to whom, when, what. Append-only.

    Disabling, enabling and resetting a password or authenticator are security events about
    staff and volunteer accounts, not disclosures of volunteer data, so they are not ledger
    entries (SPEC: the ledger's kinds are disclosures, consents and agreements); this table is
    their record, kept by the database as the consent history is (triggers, no UPDATE/DELETE).
    """

    id = UUID(primary_key=True)
    user = ForeignKey(references=UserAccount, on_delete=OnDelete.restrict, index=True)
    action = Varchar(length=20)
    #: The acting account's id, or ``cli`` for an operator on the server.
    acted_by = Varchar(length=64)
    channel = Varchar(length=10)
    acted_at = Timestamptz(default=TimestamptzNow(), index=True)
