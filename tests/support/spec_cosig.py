"""A cosignature verifier written from C2SP tlog-cosignature v1.0.0 and signed-note alone.

Deliberately shares no code with ``ledger/``: it is what a third party would write from the
spec, so that the product's cosignatures are checked against the spec, not against themselves.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def spec_key_id(name: str, public_key: bytes) -> bytes:
    # "SHA-256(<name> || "\n" || 0x04 || 32-byte Ed25519 cosigner public key)[:4]"
    return hashlib.sha256(name.encode() + b"\n" + b"\x04" + public_key).digest()[:4]


def spec_vkey(name: str, public_key: bytes) -> str:
    return (
        f"{name}+{spec_key_id(name, public_key).hex()}+"
        + base64.b64encode(b"\x04" + public_key).decode()
    )


def spec_verify(vkey: str, note: str) -> int | None:
    """The timestamp of the valid cosignature by ``vkey`` in ``note``, or None."""
    name, hex_id, encoded = vkey.split("+", 2)
    raw_key = base64.b64decode(encoded)
    assert raw_key[0] == 0x04 and len(raw_key) == 33
    public_key = raw_key[1:]
    assert spec_key_id(name, public_key).hex() == hex_id
    body, _, signatures = note.rpartition("\n\n")
    body += "\n"
    for line in signatures.splitlines():
        assert line.startswith("\u2014 ")
        line_name, _, blob = line[2:].partition(" ")
        raw = base64.b64decode(blob)
        if line_name != name or raw[:4] != spec_key_id(name, public_key):
            continue
        # timestamped_signature: u64 big-endian timestamp, then the 64-byte Ed25519 signature.
        timestamp = int.from_bytes(raw[4:12], "big")
        signature = raw[12:]
        if len(signature) != 64:
            return None
        message = b"cosignature/v1\n" + f"time {timestamp}\n".encode() + body.encode()
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        except InvalidSignature:
            return None
        return timestamp
    return None


def spec_cosign(name: str, key: Ed25519PrivateKey, body: str, timestamp: int) -> str:
    """A cosignature line made from the spec with the raw primitive."""
    public_key = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    message = b"cosignature/v1\n" + f"time {timestamp}\n".encode() + body.encode()
    raw = spec_key_id(name, public_key) + timestamp.to_bytes(8, "big") + key.sign(message)
    return f"\u2014 {name} {base64.b64encode(raw).decode()}\n"
