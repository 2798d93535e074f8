"""Password policy and hashing (Argon2id via argon2-cffi; common list from zxcvbn).

Policy follows NCSC / NIST SP 800-63B: at least 12 characters, not a known common password, no
composition rules. Verification of an unknown account runs against a dummy hash so that the
answer takes about as long as for a real one.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type

from portal.settings import Settings

MIN_LENGTH = 12
MAX_LENGTH = 256


class PasswordRejected(ValueError):
    """The chosen password breaks the policy; the message says why, in plain words."""


@functools.cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def check_policy(password: str, email: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"must be at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 4:
        raise PasswordRejected("is too common; choose something harder to guess")
    local = email.split("@", 1)[0].lower()
    if local and len(local) >= 4 and local in lowered:
        raise PasswordRejected("must not contain your email address")


class PasswordHashing:
    """Argon2id with parameters from settings (tests use cheap ones)."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
            type=Type.ID,
        )
        self._dummy = self._hasher.hash("not a real password, for timing only")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; a missing hash still costs one verification."""
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
