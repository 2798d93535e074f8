"""The backup archive: a gzip tar holding a manifest, the database and, if asked, the signing key.

The manifest names each member with its SHA-256 and says what the ledger looked like when the
snapshot was taken (size, root, latest checkpoint, the public verifier key), so a restore can tell
a damaged or foreign archive from a good one before it touches anything.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

#: Bumped when the archive's layout changes; a restore refuses formats it does not know.
ARCHIVE_FORMAT = "esp-portal-backup/1"
MANIFEST = "manifest.json"
DATABASE = "database.sqlite3"
SIGNING_KEY = "ledger-signing.key"
_MEMBERS = {DATABASE, SIGNING_KEY}
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class LedgerState:
    """The ledger as the snapshot holds it."""

    origin: str
    size: int
    root_hash: str  # standard base64, as the ledger's HTTP API writes hashes
    checkpoint: str | None
    verifier_key: str


@dataclass(frozen=True)
class Manifest:
    created_at: str
    portal_version: str
    ledger: LedgerState
    files: dict[str, str] = field(default_factory=dict)  # member name -> SHA-256 hex

    def to_json(self) -> bytes:
        body = {
            "format": ARCHIVE_FORMAT,
            "created_at": self.created_at,
            "portal_version": self.portal_version,
            "ledger": self.ledger.__dict__,
            "files": self.files,
        }
        return json.dumps(body, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            body: dict[str, Any] = json.loads(raw)
            if body.get("format") != ARCHIVE_FORMAT:
                raise BackupError(
                    f"the archive's format is {body.get('format')!r}; this version restores "
                    f"{ARCHIVE_FORMAT!r} only"
                )
            files = {str(k): str(v) for k, v in body["files"].items()}
            unknown = set(files) - _MEMBERS
            if unknown or DATABASE not in files:
                raise BackupError(f"the manifest lists unexpected files: {sorted(files)}")
            return cls(
                created_at=str(body["created_at"]),
                portal_version=str(body["portal_version"]),
                ledger=LedgerState(**body["ledger"]),
                files=files,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"the archive's manifest is unreadable ({exc})") from None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_archive(target: Path, manifest: Manifest, members: dict[str, Path]) -> None:
    """Write the archive next to ``target`` and move it into place only when complete.

    The file is created readable by its owner only: it holds every volunteer's personal data.
    """
    partial = target.with_name(f".{target.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            manifest_bytes = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(manifest_bytes)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(manifest_bytes))
            for name, path in members.items():
                info = tar.gettarinfo(str(path), arcname=name)
                info.mode = 0o600
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
            raw.flush()
            os.fsync(raw.fileno())
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read_manifest(archive: Path) -> Manifest:
    with _open(archive) as tar:
        return Manifest.from_json(_member_bytes(tar, MANIFEST))


def extract_member(archive: Path, manifest: Manifest, name: str, destination: Path) -> None:
    """Copy one member to ``destination`` (owner-only), checking it against the manifest's hash.

    Members are streamed by name, never extracted by the archive's own paths, so an archive cannot
    write anywhere but where the restore chose.
    """
    expected = manifest.files.get(name)
    if expected is None:
        raise BackupError(f"the archive holds no {name}")
    digest = hashlib.sha256()
    with _open(archive) as tar:
        source = _member(tar, name)
        descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            try:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
                destination.unlink(missing_ok=True)
                raise BackupError(f"{name} in the archive is damaged ({exc})") from None
            out.flush()
            os.fsync(out.fileno())
    if digest.hexdigest() != expected:
        destination.unlink(missing_ok=True)
        raise BackupError(
            f"{name} in the archive does not match its manifest (SHA-256 {digest.hexdigest()}, "
            f"manifest says {expected}): the archive is damaged"
        )


def _open(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r:gz")
    except FileNotFoundError:
        raise BackupError(f"no such archive: {archive}") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{archive} is not a backup archive ({exc})") from None


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    try:
        info = tar.getmember(name)
        handle = tar.extractfile(info) if info.isfile() else None
    except (KeyError, tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"the archive holds no readable {name} ({exc})") from None
    if handle is None:
        raise BackupError(f"{name} in the archive is not a file")
    return handle


def _member_bytes(tar: tarfile.TarFile, name: str) -> bytes:
    try:
        return _member(tar, name).read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"the archive's {name} is damaged ({exc})") from None
