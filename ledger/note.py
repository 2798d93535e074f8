"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 signatures.

A signed note is a text ending in a newline, a blank line, and one or more signature lines::

    <text, ending in a newline>
    <blank line>
    — <key name> <base64(key ID (4 bytes) || Ed25519 signature (64 bytes))>

The key ID is ``SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]``, and a verifier
key is the string ``<name>+<key ID as 8 lowercase hex digits>+<base64(0x01 || public key)>``;
both are byte-compatible with Go's ``golang.org/x/mod/sumdb/note``.

Signing-key file format (see :func:`load_or_create_signing_key`): one line holding the Go
``note`` signer-key encoding ``PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 || 32-byte Ed25519
seed)>`` followed by a newline, in a file of mode 0600. The same string is accepted by Go's
``note.NewSigner``, so a key can be moved to Go tooling if ever needed.

This module never logs key material, and :class:`NoteSigner` never shows it in ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Final, NoReturn

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

__all__ = [
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "BadSignatureError",
    "InvalidKeyError",
    "KeyFileError",
    "MalformedNoteError",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "UnknownKeyError",
    "is_valid_key_name",
    "key_id",
    "load_or_create_signing_key",
    "open_note",
    "verifier_key",
]

ALG_ED25519: Final = 0x01
"""Signature type identifier byte for Ed25519 (C2SP signed-note)."""

MAX_SIGNATURES: Final = 100
"""A note with more signature lines than this is rejected as malformed (as Go does)."""

SIG_PREFIX: Final = "\u2014 "  # em dash, space
_PRIVATE_PREFIX: Final = "PRIVATE+KEY+"
_KEY_FILE_MAX_BYTES: Final = 4096
_HEX8 = re.compile(r"[0-9a-f]{8}")


# --------------------------------------------------------------------------- errors


class NoteError(ValueError):
    """Base class for every signed-note error raised by this module."""


class MalformedNoteError(NoteError):
    """The note (or a text to sign) does not follow the signed-note syntax."""


class UnknownKeyError(NoteError):
    """No signature in the note is by a known key, so nothing could be verified."""


class BadSignatureError(NoteError):
    """A signature by a known key (name and key ID match) failed to verify."""


class InvalidKeyError(NoteError):
    """A key name, verifier key string or signer key is malformed or unsupported."""


class KeyFileError(NoteError):
    """The signing-key file is unsafe (group/world accessible) or malformed."""


# --------------------------------------------------------------------------- helpers


def is_valid_key_name(name: str) -> bool:
    """Whether ``name`` is a valid key name: non-empty, well-formed, no spaces, no '+'.

    Besides the signed-note rules (no Unicode space, no U+002B), control characters are refused
    too, since they could never appear in a valid note anyway.
    """
    if not isinstance(name, str) or not name or "+" in name:
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    for ch in name:
        if ch.isspace() or unicodedata.category(ch) in ("Zs", "Zl", "Zp", "Cc"):
            return False
    return True


def _check_name(name: str) -> None:
    if not is_valid_key_name(name):
        raise InvalidKeyError(
            f"invalid key name {name!r}: it must be non-empty and contain no whitespace, "
            "no control character and no '+'"
        )


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 key: ``SHA-256(name || 0x0A || 0x01 || pubkey)[:4]``."""
    _check_name(name)
    if len(public_key) != 32:
        raise InvalidKeyError(f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
    return _key_id(name, public_key)


def _key_id(name: str, public_key: bytes) -> bytes:
    data = name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key
    return hashlib.sha256(data).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    """The standard verifier key string ``<name>+<hex key ID>+<base64(0x01 || pubkey)>``."""
    kid = key_id(name, public_key)
    encoded = base64.b64encode(bytes([ALG_ED25519]) + public_key).decode("ascii")
    return f"{name}+{kid.hex()}+{encoded}"


def _b64decode_strict(data: str) -> bytes | None:
    """Decode standard, padded base64; None unless ``data`` is its canonical encoding."""
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    if base64.b64encode(raw).decode("ascii") != data:
        return None
    return raw


def _check_note_chars(text: str, what: str) -> bytes:
    """Encode ``text`` as UTF-8, refusing ASCII control characters other than newline."""
    for index, ch in enumerate(text):
        if ch < " " and ch != "\n":
            raise MalformedNoteError(
                f"{what} contains control character U+{ord(ch):04X} at offset {index}; "
                "only newline is allowed"
            )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedNoteError(f"{what} is not valid Unicode (lone surrogate)") from None


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


# --------------------------------------------------------------------------- signer


class NoteSigner:
    """Signs notes with one named Ed25519 key. ``repr`` shows the name and key ID only."""

    __slots__ = ("_key_id", "_name", "_private_key", "_public_key")

    _name: str
    _private_key: Ed25519PrivateKey
    _public_key: bytes
    _key_id: bytes

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise InvalidKeyError("a NoteSigner needs an Ed25519 private key")
        self._name = name
        self._private_key = private_key
        self._public_key = _public_bytes(private_key.public_key())
        self._key_id = _key_id(name, self._public_key)

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """A signer with a fresh random Ed25519 key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> NoteSigner:
        """A signer from a 32-byte Ed25519 seed (RFC 8032 private key)."""
        if len(seed) != 32:
            raise InvalidKeyError("an Ed25519 seed is 32 bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(bytes(seed)))

    @classmethod
    def from_signer_key(cls, skey: str) -> NoteSigner:
        """Parse Go's signer-key encoding ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01||seed)>``.

        Error messages never include the key material.
        """
        if not isinstance(skey, str) or not skey.startswith(_PRIVATE_PREFIX):
            raise InvalidKeyError("signer key must start with 'PRIVATE+KEY+'")
        rest = skey[len(_PRIVATE_PREFIX) :]
        name, _, rest = rest.partition("+")
        hex_id, sep, encoded = rest.partition("+")
        if not sep:
            raise InvalidKeyError("signer key must be 'PRIVATE+KEY+<name>+<key id>+<key>'")
        _check_name(name)
        if not _HEX8.fullmatch(hex_id):
            raise InvalidKeyError("signer key ID must be 8 lowercase hexadecimal digits")
        raw = _b64decode_strict(encoded)
        if raw is None:
            raise InvalidKeyError("signer key data is not canonical standard base64")
        if len(raw) != 33:
            raise InvalidKeyError("signer key data must be 33 bytes (0x01 || 32-byte seed)")
        if raw[0] != ALG_ED25519:
            raise InvalidKeyError(f"unsupported signer key algorithm 0x{raw[0]:02x}")
        signer = cls.from_seed(name, raw[1:])
        if signer.key_id.hex() != hex_id:
            raise InvalidKeyError("signer key ID does not match the key it encodes")
        return signer

    def _signer_key(self) -> str:
        """Go's secret signer-key encoding (for the key file only; never log it)."""
        seed = self._private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        encoded = base64.b64encode(bytes([ALG_ED25519]) + seed).decode("ascii")
        return f"{_PRIVATE_PREFIX}{self._name}+{self._key_id.hex()}+{encoded}"

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        return self._key_id

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self._public_key

    def verifier_key(self) -> str:
        """The public verifier key string ``<name>+<hex key ID>+<base64(0x01 || pubkey)>``."""
        return verifier_key(self._name, self._public_key)

    def verifier(self) -> NoteVerifier:
        """A verifier for this signer's notes."""
        return NoteVerifier(self._name, self._public_key)

    def signature_line(self, text: str) -> str:
        """The line ``— <name> <base64(key ID || signature)>\\n`` for ``text``."""
        data = _check_text(text)
        sig = self._private_key.sign(data)
        encoded = base64.b64encode(self._key_id + sig).decode("ascii")
        return f"{SIG_PREFIX}{self._name} {encoded}\n"

    def sign(self, text: str) -> str:
        """Sign ``text`` (which must end in a newline) and return the complete signed note."""
        return f"{text}\n{self.signature_line(text)}"

    def __repr__(self) -> str:
        return f"NoteSigner(name={self._name!r}, key_id={self._key_id.hex()!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("NoteSigner holds a private key and cannot be pickled or copied")


def _check_text(text: str) -> bytes:
    if not isinstance(text, str):
        raise MalformedNoteError("note text must be a str")
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    return _check_note_chars(text, "note text")


# --------------------------------------------------------------------------- verifier


class NoteVerifier:
    """Verifies notes signed by one named Ed25519 key."""

    __slots__ = ("_key", "_key_id", "_name", "_public_key")

    _name: str
    _public_key: bytes
    _key_id: bytes
    _key: Ed25519PublicKey

    def __init__(self, name: str, public_key: bytes) -> None:
        self._key_id = key_id(name, public_key)  # validates name and length
        self._name = name
        self._public_key = bytes(public_key)
        try:
            self._key = Ed25519PublicKey.from_public_bytes(self._public_key)
        except ValueError:
            raise InvalidKeyError("invalid Ed25519 public key") from None

    @classmethod
    def from_key(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key ``<name>+<8 lowercase hex digits>+<base64(0x01 || pubkey)>``.

        Parsing is strict: no surrounding whitespace, canonical padded base64, algorithm 0x01,
        a 32-byte key, and a key ID that matches the name and key.
        """
        if not isinstance(vkey, str):
            raise InvalidKeyError("verifier key must be a str")
        name, sep1, rest = vkey.partition("+")
        hex_id, sep2, encoded = rest.partition("+")
        if not (sep1 and sep2):
            raise InvalidKeyError(
                f"malformed verifier key {vkey!r}: expected '<name>+<key id>+<base64 key>'"
            )
        if not is_valid_key_name(name):
            raise InvalidKeyError(f"malformed verifier key {vkey!r}: invalid key name {name!r}")
        if not _HEX8.fullmatch(hex_id):
            raise InvalidKeyError(
                f"malformed verifier key {vkey!r}: key ID must be 8 lowercase hex digits"
            )
        raw = _b64decode_strict(encoded)
        if raw is None or not raw:
            raise InvalidKeyError(
                f"malformed verifier key {vkey!r}: key data is not canonical standard base64"
            )
        if raw[0] != ALG_ED25519:
            raise InvalidKeyError(
                f"unsupported verifier key algorithm 0x{raw[0]:02x} in {vkey!r} "
                "(only Ed25519, 0x01, is supported)"
            )
        if len(raw) != 33:
            raise InvalidKeyError(
                f"malformed verifier key {vkey!r}: an Ed25519 key is 32 bytes, not {len(raw) - 1}"
            )
        verifier = cls(name, raw[1:])
        if verifier.key_id.hex() != hex_id:
            raise InvalidKeyError(
                f"malformed verifier key {vkey!r}: key ID {hex_id} does not match the name and "
                f"key (expected {verifier.key_id.hex()})"
            )
        return verifier

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID."""
        return self._key_id

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self._public_key

    def verifier_key(self) -> str:
        return verifier_key(self._name, self._public_key)

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (64 bytes, without key ID) is a valid signature of ``text``."""
        if len(signature) != 64:
            return False
        try:
            self._key.verify(signature, text)
        except InvalidSignature:
            return False
        return True

    def open(self, note: str | bytes) -> str:
        """Verify ``note`` and return its text (ending in newline). See :func:`open_note`."""
        return open_note(note, [self])

    def __repr__(self) -> str:
        return f"NoteVerifier({self.verifier_key()!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NoteVerifier):
            return NotImplemented
        return (self._name, self._public_key) == (other._name, other._public_key)

    def __hash__(self) -> int:
        return hash((self._name, self._public_key))


def open_note(note: str | bytes, verifiers: Iterable[NoteVerifier]) -> str:
    """Verify a signed note against known verifiers and return the note text.

    Follows C2SP signed-note and Go's ``note.Open``: signatures whose (name, key ID) match no
    known verifier are ignored; every signature by a known key must verify
    (:class:`BadSignatureError` otherwise); at least one must (:class:`UnknownKeyError`
    otherwise). More than :data:`MAX_SIGNATURES` signature lines, control characters, a missing
    blank line or any malformed signature line raise :class:`MalformedNoteError`.
    """
    known = _verifiers_by_id(verifiers)
    text, lines = _split_note(note)
    text_bytes = text.encode("utf-8")
    verified: set[tuple[str, bytes]] = set()
    unknown: list[str] = []
    for number, line in enumerate(lines, start=1):
        name, kid, signature = _signature_line(number, line)
        match = known.get((name, kid))
        if match is None:
            unknown.append(f"{name}+{kid.hex()}")
            continue
        if (name, kid) in verified:
            continue
        if not match.verify(text_bytes, signature):
            raise BadSignatureError(f"invalid signature for key {name}+{kid.hex()}")
        verified.add((name, kid))

    if not verified:
        expected = ", ".join(f"{n}+{k.hex()}" for n, k in known) or "none"
        raise UnknownKeyError(
            f"note has no signature by a known key (signed by: {', '.join(unknown)}; "
            f"known keys: {expected})"
        )
    return text


def _verifiers_by_id(verifiers: Iterable[NoteVerifier]) -> dict[tuple[str, bytes], NoteVerifier]:
    """The verifiers by (name, key ID); two different keys with one ID are refused."""
    known: dict[tuple[str, bytes], NoteVerifier] = {}
    for verifier in verifiers:
        ident = (verifier.name, verifier.key_id)
        other = known.get(ident)
        if other is not None and other != verifier:
            raise InvalidKeyError(
                f"ambiguous verifiers: two different keys are named {verifier.name}+"
                f"{verifier.key_id.hex()}"
            )
        known[ident] = verifier
    return known


def _split_note(note: str | bytes) -> tuple[str, list[str]]:
    """The note's text (up to and including its last newline before the blank line) and its
    signature lines, after the checks on the note as a whole."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNoteError("note is not valid UTF-8") from None
    if not isinstance(note, str):
        raise MalformedNoteError("note must be str or bytes")
    _check_note_chars(note, "note")

    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line separating text and signatures")
    text, sig_block = note[: split + 1], note[split + 2 :]
    if not sig_block:
        raise MalformedNoteError("note has no signature lines after the blank line")
    if not sig_block.endswith("\n"):
        raise MalformedNoteError("note must end with a newline after the last signature")
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(
            f"note has {len(lines)} signature lines; at most {MAX_SIGNATURES} are accepted"
        )
    return text, lines


def _signature_line(number: int, line: str) -> tuple[str, bytes, bytes]:
    """One signature line's key name, key ID and signature (line ``number`` in messages)."""
    if not line.startswith(SIG_PREFIX):
        raise MalformedNoteError(
            f"signature line {number} does not start with an em dash and a space"
        )
    name, sep, encoded = line[len(SIG_PREFIX) :].partition(" ")
    if not sep or not is_valid_key_name(name):
        raise MalformedNoteError(f"signature line {number} has an invalid key name")
    raw = _b64decode_strict(encoded)
    if raw is None or len(raw) < 5:
        raise MalformedNoteError(f"signature line {number} has a malformed signature")
    return name, raw[:4], raw[4:]


# --------------------------------------------------------------------------- key files


def load_or_create_signing_key(path: Path, name: str) -> NoteSigner:
    """Load the signing key at ``path``, generating it there first if the file is absent.

    The file holds one line, Go's signer-key encoding
    ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || 32-byte Ed25519 seed)>``, and has mode
    0600. A new key is written to a temporary file created with ``O_CREAT | O_EXCL`` and mode
    0600 (never readable by others, even briefly), synced, then hard-linked into place, so a
    concurrent starter never sees a partial file and exactly one key wins.

    Raises :class:`KeyFileError` if the file is accessible to group or others, is not a regular
    file, is malformed, or was made for a different key name (changing the key name changes the
    published verifier key, so it must be a deliberate act: move the old file away).
    """
    path = Path(path)
    _check_name(name)
    try:
        return _load_signing_key(path, name)
    except FileNotFoundError:
        pass
    signer = NoteSigner.generate(name)
    if _write_new_key_file(path, signer):
        return signer
    # Another process created the file first: use its key.
    return _load_signing_key(path, name)


def load_signing_key(path: Path, name: str) -> NoteSigner:
    """Load the signing key at ``path``, never creating one (for checks, not for the server:
    a fresh key would make every stored checkpoint look forged). Raises
    :class:`FileNotFoundError` when there is none, :class:`KeyFileError` as above."""
    path = Path(path)
    _check_name(name)
    return _load_signing_key(path, name)


def _load_signing_key(path: Path, name: str) -> NoteSigner:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"signing key {path} is not a regular file")
        if os.name == "posix" and info.st_mode & 0o077:
            raise KeyFileError(
                f"signing key {path} is accessible to group or others (mode "
                f"{stat.S_IMODE(info.st_mode):04o}); run 'chmod 600 {path}'"
            )
        data = b""
        while len(data) <= _KEY_FILE_MAX_BYTES:
            chunk = os.read(fd, _KEY_FILE_MAX_BYTES + 1 - len(data))
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
    if len(data) > _KEY_FILE_MAX_BYTES:
        raise KeyFileError(f"signing key {path} is too large to be a key file")
    try:
        content = data.decode("ascii")
    except UnicodeDecodeError:
        raise KeyFileError(f"signing key {path} is malformed (not ASCII text)") from None
    content = content.removesuffix("\n")
    try:
        signer = NoteSigner.from_signer_key(content)
    except InvalidKeyError as exc:
        raise KeyFileError(f"signing key {path} is malformed: {exc}") from None
    if signer.name != name:
        raise KeyFileError(
            f"signing key {path} is for key name {signer.name!r}, but {name!r} is configured; "
            "move the old key file away to start a new key deliberately"
        )
    return signer


def _write_new_key_file(path: Path, signer: NoteSigner) -> bool:
    """Write ``signer``'s key to ``path`` unless it exists. False if another writer won."""
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    payload = (signer._signer_key() + "\n").encode("ascii")
    tmp = directory / f".{path.name}.{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # exactly 0600 whatever the umask
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic, and fails if path exists
        except FileExistsError:
            return False
        except OSError:
            # File systems without hard links: fall back to an exclusive create in place.
            return _write_exclusive(path, payload)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_directory(directory)
    return True


def _write_exclusive(path: Path, payload: bytes) -> bool:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        return False
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
