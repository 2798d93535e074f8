"""Random tokens and their stored digests.

Tokens carry 256 bits from ``secrets``; the database keeps only SHA-256 digests (a fast hash is
right here: the tokens are random, so there is nothing to brute-force).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
