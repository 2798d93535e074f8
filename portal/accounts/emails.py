"""One spelling of an email address for look-ups: sign-in, invitations and recovery agree on it."""

from __future__ import annotations


def normalise_email(email: str) -> str:
    return email.strip().lower()
