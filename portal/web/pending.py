"""The sign-in in progress between the password page and the code page (dpo, coordinator).

``LoginService.login`` takes the email, password and code together, so the code page needs the
first page's answers without showing the password again or putting it in the HTML. They travel
in a short-lived cookie, encrypted and authenticated with AES-256-GCM (``cryptography``): HttpOnly,
SameSite=Strict, limited to ``/sign-in``, valid for 5 minutes, deleted once signed in.

The AES key must be the same in every worker and host of a deployment. The one secret they
already share is the ledger signing key (checkpoints must all be signed by it), so the key is
derived from it: HKDF-SHA256 over the deterministic Ed25519 signature of a fixed, web-only label
(domain-separated from every ledger text, and never published). Nothing new to configure.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from litestar.datastructures import Cookie

from ledger.note import load_or_create_signing_key
from portal.auth.requests import AppRequest
from portal.settings import Settings

PENDING_COOKIE = "esp_signin"
LIFETIME_SECONDS = 300
_LABEL = "esp-portal/web/pending-sign-in/v1\n"
_AAD = b"esp-portal pending sign-in"


@dataclass(frozen=True)
class PendingSignIn:
    email: str
    password: str
    next: str | None


def _key(request: AppRequest) -> bytes:
    state = request.app.state
    cached = state.get("web_pending_key")
    if isinstance(cached, bytes):
        return cached
    settings: Settings = state.settings
    signer = load_or_create_signing_key(settings.signing_key_path, settings.ledger_key_name)
    material = signer.signature_line(_LABEL).encode()
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"esp-portal web pending sign-in"
    ).derive(material)
    state["web_pending_key"] = key
    return key


def seal(request: AppRequest, pending: PendingSignIn) -> Cookie:
    payload = json.dumps(
        {
            "e": pending.email,
            "p": pending.password,
            "n": pending.next,
            "x": int(time.time()) + LIFETIME_SECONDS,
        }
    ).encode()
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(_key(request)).encrypt(nonce, payload, _AAD)
    settings: Settings = request.app.state.settings
    return Cookie(
        key=PENDING_COOKIE,
        value=base64.urlsafe_b64encode(sealed).decode().rstrip("="),
        max_age=LIFETIME_SECONDS,
        path="/sign-in",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="strict",
    )


def unseal(request: AppRequest) -> PendingSignIn | None:
    """The pending sign-in from the cookie, or None if absent, tampered with or expired."""
    raw = request.cookies.get(PENDING_COOKIE)
    if not raw or len(raw) > 4096:
        return None
    try:
        sealed = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        if len(sealed) < 12 + 16:
            return None
        payload = AESGCM(_key(request)).decrypt(sealed[:12], sealed[12:], _AAD)
        data = json.loads(payload)
    except (InvalidTag, ValueError, binascii.Error):
        return None
    if not isinstance(data, dict) or int(data.get("x", 0)) < time.time():
        return None
    email, password, next_path = data.get("e"), data.get("p"), data.get("n")
    if not isinstance(email, str) or not isinstance(password, str):
        return None
    return PendingSignIn(
        email=email, password=password, next=next_path if isinstance(next_path, str) else None
    )


def clear(request: AppRequest) -> Cookie:
    settings: Settings = request.app.state.settings
    return Cookie(
        key=PENDING_COOKIE,
        value="",
        max_age=0,
        path="/sign-in",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="strict",
    )
