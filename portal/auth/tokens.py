"""Integration tokens: shown once, stored as a digest, scoped, expiring and revocable."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.accounts.secrets import digest, new_token
from portal.accounts.tables import IntegrationToken
from portal.auth.identity import Identity
from portal.clock import utcnow
from portal.dbutil import json_value

TOKEN_PREFIX = "espi_"  # noqa: S105 - a public marker, not a secret

#: Every scope an integration token may hold; routes name the one they need.
KNOWN_SCOPES = frozenset({"duties:write", "duties:read"})


@dataclass(frozen=True)
class IssuedToken:
    id: str
    token: str
    expires_at: dt.datetime


async def issue_token(
    name: str, scopes: list[str], valid_days: int, created_by: str | None
) -> IssuedToken:
    unknown = sorted(set(scopes) - KNOWN_SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    token = new_token(TOKEN_PREFIX)
    row = IntegrationToken(
        name=name,
        prefix=token[: len(TOKEN_PREFIX) + 6],
        token_hash=digest(token),
        scopes=sorted(set(scopes)),
        created_by=created_by,
        expires_at=utcnow() + dt.timedelta(days=valid_days),
    )
    await row.save()
    return IssuedToken(id=str(row.id), token=token, expires_at=row.expires_at)


async def resolve_token(token: str) -> Identity | None:
    """The integration identity for a bearer token, or None when unknown, expired or revoked."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        await IntegrationToken.select(
            IntegrationToken.id,
            IntegrationToken.scopes,
            IntegrationToken.expires_at,
            IntegrationToken.revoked_at,
            IntegrationToken.last_used_at,
        )
        .where(IntegrationToken.token_hash == digest(token))
        .first()
    )
    now = utcnow()
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
        return None
    if row["last_used_at"] is None or now - row["last_used_at"] > dt.timedelta(minutes=1):
        await IntegrationToken.update({IntegrationToken.last_used_at: now}).where(
            IntegrationToken.id == row["id"]
        )
    scopes = json_value(row["scopes"])
    return Identity(
        user_id=f"token:{row['id']}",
        role=None,
        via="token",
        scopes=frozenset(scopes),
        token_id=str(row["id"]),
    )


async def revoke_token(token_id: str) -> bool:
    updated = (
        await IntegrationToken.update({IntegrationToken.revoked_at: utcnow()})
        .where((IntegrationToken.id == token_id) & IntegrationToken.revoked_at.is_null())
        .returning(IntegrationToken.id)
    )
    return bool(updated)
