"""C2SP transparency-log checkpoints (https://c2sp.org/tlog-checkpoint).

The checkpoint body is the text of a signed note (see :mod:`ledger.note`)::

    <origin>
    <tree size, decimal, no leading zeros>
    <base64 of the 32-byte RFC 6962 / RFC 9162 root hash>
    [<extension line>...]

We never emit extension lines, but we parse (and keep) them as the format requires.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.note import NoteSigner, NoteVerifier, open_note

__all__ = [
    "MAX_TREE_SIZE",
    "Checkpoint",
    "CheckpointError",
    "OriginMismatchError",
    "open_checkpoint",
    "sign_checkpoint",
]

MAX_TREE_SIZE = 2**63 - 1
"""Largest tree size accepted (a signed 64-bit integer, as in Go and PostgreSQL ``bigint``)."""

_SIZE = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """A checkpoint text is malformed or a checkpoint's fields are invalid."""


class OriginMismatchError(CheckpointError):
    """A correctly signed checkpoint names a different log (origin) than expected."""


def _check_line(value: str, what: str) -> None:
    if not value:
        raise CheckpointError(f"checkpoint {what} must not be empty")
    for ch in value:
        if ch < " ":
            raise CheckpointError(f"checkpoint {what} contains control character U+{ord(ch):04X}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CheckpointError(f"checkpoint {what} is not valid Unicode") from None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: the log's origin, its size and its root hash (plus opaque extensions)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str):
            raise CheckpointError("checkpoint origin must be a str")
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise CheckpointError("checkpoint tree size must be an int")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(
                f"checkpoint tree size {self.size} is out of range 0..{MAX_TREE_SIZE}"
            )
        if not isinstance(self.root_hash, bytes):
            raise CheckpointError("checkpoint root hash must be bytes")
        if len(self.root_hash) != 32:
            raise CheckpointError(
                f"checkpoint root hash must be 32 bytes (SHA-256), not {len(self.root_hash)}"
            )
        if not isinstance(self.extensions, tuple):
            raise CheckpointError("checkpoint extensions must be a tuple of str")
        for line in self.extensions:
            if not isinstance(line, str):
                raise CheckpointError("checkpoint extension lines must be str")
            _check_line(line, "extension line")

    def to_text(self) -> str:
        """The checkpoint body (the note text), ending in a newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly; raise :class:`CheckpointError` if malformed."""
        if not isinstance(text, str):
            raise CheckpointError("checkpoint text must be a str")
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(
                "checkpoint text must have at least three lines: origin, tree size, root hash"
            )
        origin, size_text, hash_text, *extensions = lines
        _check_line(origin, "origin")
        if not _SIZE.fullmatch(size_text):
            raise CheckpointError(
                f"checkpoint tree size {size_text!r} is not a decimal number without leading zeros"
            )
        size = int(size_text)
        if size > MAX_TREE_SIZE:
            raise CheckpointError(f"checkpoint tree size {size_text} is too large")
        try:
            root_hash = base64.b64decode(hash_text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise CheckpointError(
                f"checkpoint root hash {hash_text!r} is not valid standard base64"
            ) from None
        if base64.b64encode(root_hash).decode("ascii") != hash_text:
            raise CheckpointError(
                f"checkpoint root hash {hash_text!r} is not canonical standard base64"
            )
        if len(root_hash) != 32:
            raise CheckpointError(
                f"checkpoint root hash must be 32 bytes (SHA-256), not {len(root_hash)}"
            )
        for line in extensions:
            _check_line(line, "extension line")
        return cls(origin, size, root_hash, tuple(extensions))


def sign_checkpoint(cp: Checkpoint, signer: NoteSigner) -> str:
    """The checkpoint as a signed note (C2SP signed-note, Ed25519)."""
    return signer.sign(cp.to_text())


def open_checkpoint(
    note_text: str | bytes,
    verifier: NoteVerifier | Sequence[NoteVerifier],
    expected_origin: str,
) -> Checkpoint:
    """Verify a signed checkpoint and return it.

    Raises a :class:`ledger.note.NoteError` subclass if the signature does not verify (or is by
    no known key), :class:`CheckpointError` if the body is malformed, and
    :class:`OriginMismatchError` if its origin is not ``expected_origin``.
    """
    verifiers = [verifier] if isinstance(verifier, NoteVerifier) else list(verifier)
    text = open_note(note_text, verifiers)
    cp = Checkpoint.parse(text)
    if cp.origin != expected_origin:
        raise OriginMismatchError(
            f"checkpoint is for origin {cp.origin!r}, expected {expected_origin!r}"
        )
    return cp
