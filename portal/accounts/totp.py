"""TOTP (RFC 6238: SHA-1, 30 s, 6 digits) with pyotp, refusing a code's reuse.

A code is accepted for the current step or one step either side (clock drift), and only if its
step is later than the last accepted one; the caller stores that step atomically.
"""

from __future__ import annotations

import time

import pyotp

ISSUER = "ESP Portal"
STEP_SECONDS = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code equals ``code`` (current ±1), or None."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    moment = time.time() if now is None else now
    current = int(moment // STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None
