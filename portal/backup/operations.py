"""Taking a backup and restoring one, for the embedded SQLite installation.

A restore works on a copy beside the database until it has proved three things: the archive is
intact (every member matches its manifest's hash), the ledger in it verifies from its first entry
against the verifier key the manifest names, and that key and origin are the ones this installation
signs with (otherwise its next checkpoints would not verify for anyone holding the old key). Only
then does the copy replace the database, and the database it replaces is kept aside, never deleted.
"""

from __future__ import annotations

import asyncio
import base64
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ledger.note import NoteError, NoteSigner, NoteVerifier, load_signing_key
from ledger.verify import VerifyResult, verify
from portal.backup.archive import (
    DATABASE,
    SIGNING_KEY,
    BackupError,
    Manifest,
    extract_member,
    read_manifest,
    sha256_file,
    write_archive,
)
from portal.backup.snapshot import ledger_state, snapshot_sqlite
from portal.db import build_engine, close_engine, sqlite_path
from portal.settings import Settings

#: Companion files of a WAL database; they move with it when it is set aside.
_SQLITE_COMPANIONS = ("-wal", "-shm")


class LedgerNotIntact(BackupError):
    """The archive's ledger does not verify; carries the verification result as evidence."""

    def __init__(self, result: VerifyResult) -> None:
        super().__init__(f"the ledger in the archive does not verify (first bad {result.problem})")
        self.result = result


@dataclass(frozen=True)
class RestoreReport:
    ledger_size: int
    root_hash: str
    set_aside: Path | None
    key_restored: bool


def _portal_version() -> str:
    try:
        return version("esp-portal")
    except PackageNotFoundError:
        return "unknown"


def _database_file(settings: Settings) -> Path:
    if settings.engine_kind != "sqlite":
        raise BackupError(
            "esp-portal backup and restore cover the embedded SQLite database; back up PostgreSQL "
            "with pg_dump and pg_restore as docs/BACKUP.md describes"
        )
    return sqlite_path(settings.database_url)


def _signer(settings: Settings) -> NoteSigner:
    try:
        return load_signing_key(settings.signing_key_path, settings.ledger_key_name)
    except FileNotFoundError:
        raise BackupError(
            f"no ledger signing key at {settings.signing_key_path} (ESP_LEDGER_SIGNING_KEY_FILE)"
        ) from None
    except (NoteError, OSError) as exc:
        raise BackupError(f"cannot load the ledger signing key: {exc}") from None


def default_archive_path(settings: Settings, now: datetime) -> Path:
    return settings.data_dir / "backups" / f"esp-portal-{now:%Y%m%dT%H%M%SZ}.tar.gz"


def take_backup(
    settings: Settings, output: Path | None, *, include_signing_key: bool
) -> tuple[Path, Manifest]:
    """Snapshot the database into a new archive; returns where it went and its manifest."""
    database = _database_file(settings)
    signer = _signer(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    target = output or default_archive_path(settings, now)
    if target.exists():
        raise BackupError(f"{target} exists already; a backup never overwrites one")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as work:
        copy = Path(work) / DATABASE
        snapshot_sqlite(database, copy)
        members = {DATABASE: copy}
        if include_signing_key:
            members[SIGNING_KEY] = settings.signing_key_path
        manifest = Manifest(
            created_at=now.isoformat().replace("+00:00", "Z"),
            portal_version=_portal_version(),
            ledger=ledger_state(copy, settings.ledger_origin, signer.verifier_key()),
            files={name: sha256_file(path) for name, path in members.items()},
        )
        write_archive(target, manifest, members)
    return target, manifest


async def verify_database(path: str, manifest: Manifest) -> VerifyResult:
    """Verify the ledger in the SQLite file at ``path`` against the manifest's key and state."""
    try:
        verifier = NoteVerifier.from_key(manifest.ledger.verifier_key)
    except NoteError as exc:
        raise BackupError(f"the manifest's verifier key is not a key ({exc})") from None
    engine = build_engine(f"sqlite:///{path}")
    try:
        result = await verify(engine, verifier, manifest.ledger.origin)
    finally:
        await close_engine(engine)
    if not result.ok:
        raise LedgerNotIntact(result)
    root = base64.b64encode(result.root_hash).decode()
    if result.size != manifest.ledger.size or (result.size and root != manifest.ledger.root_hash):
        raise BackupError(
            f"the archive's ledger is size {result.size} with root {root}, but its manifest "
            f"says size {manifest.ledger.size} with root {manifest.ledger.root_hash}"
        )
    return result


def _check_key(settings: Settings, manifest: Manifest, archive: Path) -> bool:
    """Make sure this installation will sign with the archive's key; True if it was restored."""
    key_path = settings.signing_key_path
    if not key_path.exists():
        if SIGNING_KEY not in manifest.files:
            raise BackupError(
                f"there is no ledger signing key at {key_path} and the archive holds none: put "
                "the installation's key back first (it is backed up separately unless "
                "--include-signing-key was given), or the portal would sign with a new key"
            )
        key_path.parent.mkdir(parents=True, exist_ok=True)
        extract_member(archive, manifest, SIGNING_KEY, key_path)
        restored = True
    else:
        restored = False
    local = _signer(settings).verifier_key()
    if local != manifest.ledger.verifier_key:
        if restored:
            key_path.unlink()
        raise BackupError(
            f"the signing key at {key_path} is not the key that signed the archive's checkpoints "
            f"({manifest.ledger.verifier_key}); restoring would split the log's history"
        )
    return restored


def _set_aside(database: Path, stamp: str) -> Path:
    aside = database.with_name(f"{database.name}.before-restore-{stamp}")
    for suffix in ("", *_SQLITE_COMPANIONS):
        current = Path(f"{database}{suffix}")
        if current.exists():
            current.replace(Path(f"{aside}{suffix}"))
    return aside


def restore_backup(settings: Settings, archive: Path, *, force: bool) -> RestoreReport:
    """Put the archive's database in place once it is proved intact (see the module docstring)."""
    database = _database_file(settings)
    manifest = read_manifest(archive)
    if manifest.ledger.origin != settings.ledger_origin:
        raise BackupError(
            f"the archive's ledger origin is {manifest.ledger.origin!r} but this installation's "
            f"is {settings.ledger_origin!r} (ESP_LEDGER_ORIGIN)"
        )
    if database.exists() and not force:
        raise BackupError(
            f"a database exists at {database}; stop the portal and pass --force to replace it "
            "(the current one is kept aside, not deleted)"
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    staged = database.with_name(f".{database.name}.restoring")
    try:
        extract_member(archive, manifest, DATABASE, staged)
        result = asyncio.run(verify_database(str(staged.resolve()), manifest))
        key_restored = _check_key(settings, manifest, archive)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        set_aside = _set_aside(database, stamp) if database.exists() else None
        staged.replace(database)
    finally:
        staged.unlink(missing_ok=True)
    directory = os.open(database.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return RestoreReport(
        ledger_size=result.size,
        root_hash=base64.b64encode(result.root_hash).decode(),
        set_aside=set_aside,
        key_restored=key_restored,
    )
