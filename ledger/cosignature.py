"""Witness cosignatures: C2SP ``tlog-cosignature`` v1.0.0, the Ed25519 ``cosignature/v1`` type.

A cosignature is a signed-note signature line added to a checkpoint by a witness::

    — <witness name> base64(key ID (4) || timestamp (8, big-endian) || Ed25519 signature (64))

where the key ID is ``SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4]`` and the signed
message is ``"cosignature/v1\\n" + "time <timestamp>\\n" + <checkpoint note text>``. The witness
thereby states that, at that POSIX time, this was the largest consistent tree it had seen for the
log. Verifier keys use the vkey form with signature type 0x04: ``<name>+<hex id>+base64(0x04||pk)``.

Only the Ed25519 ``cosignature/v1`` type is implemented (not the ML-DSA-44 ``subtree/v1`` one).
The same 32-byte key must never also sign checkpoints: the message does not name the witness.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from .note import SIG_PREFIX, InvalidKeyError, KeyFileError, MalformedNoteError, is_valid_key_name

__all__ = [
    "ALG_COSIGNATURE_V1",
    "Cosignature",
    "CosignatureSigner",
    "CosignatureVerifier",
    "cosigned_message",
    "load_or_create_cosigner_key",
    "split_note",
    "verified_cosignatures",
]

ALG_COSIGNATURE_V1: Final = 0x04
"""Signature type byte of Ed25519 ``cosignature/v1`` key IDs and vkeys (tlog-cosignature)."""

_MAX_TIMESTAMP: Final = 2**63 - 1


def _cosigner_key_id(name: str, public_key: bytes) -> bytes:
    data = name.encode("utf-8") + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key
    return hashlib.sha256(data).digest()[:4]


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The bytes a ``cosignature/v1`` signs: header line, time line, the checkpoint note text."""
    if not checkpoint_text.endswith("\n"):
        raise MalformedNoteError("checkpoint text must end with a newline")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise ValueError("timestamp must be an integer")
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise ValueError("timestamp must be between 0 and 2^63 - 1")
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def split_note(note: str) -> tuple[str, list[str]]:
    """A signed note's text (ending in a newline) and its signature lines (without newlines)."""
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line separating text and signatures")
    return note[: split + 1], [line for line in note[split + 2 :].split("\n") if line]


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A verified cosignature: who cosigned and when (POSIX seconds)."""

    name: str
    key_id: bytes
    timestamp: int


class CosignatureSigner:
    """A witness's signing half. ``repr`` shows name and key ID only, never the key."""

    __slots__ = ("_key", "_key_id", "_name", "_public_key")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        if not is_valid_key_name(name):
            raise InvalidKeyError(f"invalid cosigner name {name!r}")
        self._name = name
        self._key = private_key
        self._public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = _cosigner_key_id(name, self._public_key)

    @classmethod
    def generate(cls, name: str) -> CosignatureSigner:
        return cls(name, Ed25519PrivateKey.generate())

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self._name, self._public_key)

    def verifier_key(self) -> str:
        """The public vkey ``<name>+<hex key ID>+base64(0x04 || public key)``."""
        return self.verifier().verifier_key()

    def line(self, checkpoint_text: str, timestamp: int) -> str:
        """The cosignature line (ending in a newline) over ``checkpoint_text`` at ``timestamp``."""
        signature = self._key.sign(cosigned_message(checkpoint_text, timestamp))
        raw = self._key_id + struct.pack(">Q", timestamp) + signature
        return f"{SIG_PREFIX}{self._name} {base64.b64encode(raw).decode('ascii')}\n"

    def __repr__(self) -> str:
        return f"CosignatureSigner(name={self._name!r}, key_id={self._key_id.hex()!r})"


class CosignatureVerifier:
    """Checks one witness's ``cosignature/v1`` lines."""

    __slots__ = ("_key", "_key_id", "_name", "_public_key")

    def __init__(self, name: str, public_key: bytes) -> None:
        if not is_valid_key_name(name):
            raise InvalidKeyError(f"invalid cosigner name {name!r}")
        if len(public_key) != 32:
            raise InvalidKeyError("an Ed25519 public key is 32 bytes")
        self._name = name
        self._public_key = bytes(public_key)
        self._key_id = _cosigner_key_id(name, self._public_key)
        try:
            self._key = Ed25519PublicKey.from_public_bytes(self._public_key)
        except ValueError:
            raise InvalidKeyError("invalid Ed25519 public key") from None

    @classmethod
    def from_key(cls, vkey: str) -> CosignatureVerifier:
        """Parse ``<name>+<8 hex>+base64(0x04 || pubkey)``; the key ID must match."""
        name, sep1, rest = vkey.partition("+")
        hex_id, sep2, encoded = rest.partition("+")
        if not (sep1 and sep2) or not is_valid_key_name(name):
            raise InvalidKeyError(f"malformed witness key {vkey!r}")
        try:
            raw = base64.b64decode(encoded.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise InvalidKeyError(f"witness key {vkey!r} is not base64") from None
        if len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
            raise InvalidKeyError(
                f"witness key {vkey!r} is not an Ed25519 cosignature/v1 key "
                "(type 0x04 followed by 32 bytes)"
            )
        verifier = cls(name, raw[1:])
        if verifier.key_id.hex() != hex_id:
            raise InvalidKeyError(f"witness key {vkey!r}: key ID does not match name and key")
        return verifier

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._public_key

    def verifier_key(self) -> str:
        encoded = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self._public_key).decode()
        return f"{self._name}+{self._key_id.hex()}+{encoded}"

    def check_line(self, checkpoint_text: str, line: str) -> Cosignature | None:
        """The cosignature if ``line`` is this witness's valid cosignature of the text.

        None when the line is by another key or does not verify (never raises on bad input).
        """
        line = line.rstrip("\n")
        if not line.startswith(SIG_PREFIX):
            return None
        name, sep, encoded = line[len(SIG_PREFIX) :].partition(" ")
        if not sep or name != self._name:
            return None
        try:
            raw = base64.b64decode(encoded.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return None
        if len(raw) != 4 + 8 + 64 or raw[:4] != self._key_id:
            return None
        (timestamp,) = struct.unpack(">Q", raw[4:12])
        if timestamp > _MAX_TIMESTAMP:
            return None
        try:
            self._key.verify(raw[12:], cosigned_message(checkpoint_text, timestamp))
        except (InvalidSignature, MalformedNoteError, ValueError):
            return None
        return Cosignature(self._name, self._key_id, timestamp)

    def __repr__(self) -> str:
        return f"CosignatureVerifier({self.verifier_key()!r})"


def verified_cosignatures(
    note: str, verifiers: Iterable[CosignatureVerifier]
) -> dict[str, Cosignature]:
    """Valid cosignatures in a signed ``note``, by witness name (unknown lines are ignored).

    A line by a known witness (its name and key ID) that does not verify is ignored too: it
    proves nothing, and a policy decides whether enough valid ones remain.
    """
    text, lines = split_note(note)
    found: dict[str, Cosignature] = {}
    for verifier in verifiers:
        for line in lines:
            cosignature = verifier.check_line(text, line)
            if cosignature is not None:
                found[verifier.name] = cosignature
                break
    return found


def _signer_key_text(signer: CosignatureSigner) -> str:
    seed = signer._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    encoded = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + seed).decode("ascii")
    return f"PRIVATE+KEY+{signer.name}+{signer.key_id.hex()}+{encoded}\n"


def load_or_create_cosigner_key(path: Path, name: str) -> CosignatureSigner:
    """The witness key at ``path``, created there (mode 0600, exclusively) if absent.

    The file holds ``PRIVATE+KEY+<name>+<hex key ID>+base64(0x04 || 32-byte seed)``: the
    signed-note signer-key shape with the cosignature type byte, so it cannot be mistaken for a
    checkpoint-signing key. A file readable by group or others, for another name, or malformed is
    refused (:class:`~ledger.note.KeyFileError`); error messages never include key material.
    """
    path = Path(path)
    if not path.exists():
        signer = CosignatureSigner.generate(name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, _signer_key_text(signer).encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            return signer
    info = path.stat()
    if info.st_mode & 0o077:
        raise KeyFileError(f"witness key {path} is accessible to group or others; chmod 600 it")
    words = path.read_text(encoding="ascii").strip().split("+", 4)
    if len(words) != 5 or words[:2] != ["PRIVATE", "KEY"]:
        raise KeyFileError(f"witness key {path} is malformed")
    try:
        raw = base64.b64decode(words[4].encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"witness key {path} is malformed") from None
    if len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
        raise KeyFileError(f"witness key {path} is not a cosignature/v1 key")
    if words[2] != name:
        raise KeyFileError(f"witness key {path} is for name {words[2]!r}, not {name!r}")
    signer = CosignatureSigner(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
    if signer.key_id.hex() != words[3]:
        raise KeyFileError(f"witness key {path}: key ID does not match the key")
    return signer
