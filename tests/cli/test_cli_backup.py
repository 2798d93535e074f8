"""``esp-portal backup`` / ``restore`` (SQLite) and the documented pg_dump path (PostgreSQL).

Each test seeds a real ledger with the installation's own key, runs the real command in a
subprocess, and checks the result with ``esp-portal ledger verify`` and the files on disk: a
restore either puts back a ledger that verifies or changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import sqlite3
import stat
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ledger import Ledger
from ledger.note import load_or_create_signing_key
from ledger.proofs import Receipt
from portal.backup.archive import DATABASE, Manifest, read_manifest, sha256_file, write_archive
from portal.db import bind_engine, build_engine, close_engine, open_engine
from tests.conftest import (
    PG_ADMIN_URL,
    PG_APP_ROLE,
    TestDatabase,
    _pg_admin,
    _with_db,
    _with_user,
    run_cli,
)
from tests.ledger.conftest import ORIGIN, make_draft
from tests.support.cli import cli_env


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> TestDatabase:
    """A migrated SQLite database of its own (backup and restore are SQLite commands)."""
    path = tmp_path / "live" / "esp-portal.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    return TestDatabase("sqlite", url, url)


@asynccontextmanager
async def started_ledger(database: TestDatabase, data_dir: Path) -> AsyncIterator[Ledger]:
    engine = build_engine(database.url)
    bind_engine(engine)
    await open_engine(engine)
    signer = load_or_create_signing_key(data_dir / "ledger-signing.key", ORIGIN)
    ledger = Ledger(engine, signer, ORIGIN)
    await ledger.start()
    try:
        yield ledger
    finally:
        await ledger.close()
        await close_engine(engine)


async def seed(database: TestDatabase, data_dir: Path, batches: int = 3) -> list[Receipt]:
    receipts: list[Receipt] = []
    async with started_ledger(database, data_dir) as ledger:
        for batch in range(batches):
            receipts += await ledger.append([make_draft(batch * 2), make_draft(batch * 2 + 1)])
    return receipts


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fresh_installation(tmp_path: Path, name: str) -> tuple[TestDatabase, Path]:
    """Where a restore goes: a data directory with no database and no key yet."""
    data_dir = tmp_path / name
    path = data_dir / "esp-portal.sqlite3"
    return TestDatabase("sqlite", f"sqlite:///{path}", f"sqlite:///{path}"), data_dir


def verify_output(env: dict[str, str]) -> str:
    verified = run_cli("ledger", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    return str(verified.stdout)


def backup(env: dict[str, str], archive: Path, *flags: str) -> Any:
    return run_cli("backup", "--output", str(archive), *flags, env=env)


async def test_a_restored_installation_verifies_and_keeps_its_history(
    sqlite_db: TestDatabase, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    receipts = await seed(sqlite_db, data_dir)
    env = cli_env(sqlite_db, data_dir)
    original = verify_output(env)
    checkpoint = run_cli("ledger", "checkpoint", env=env).stdout
    archive = tmp_path / "copies" / "nightly.tar.gz"

    made = backup(env, archive, "--include-signing-key")

    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[0] == str(archive)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds everyone's personal data
    manifest = read_manifest(archive)
    assert manifest.ledger.size == len(receipts) == 6
    assert manifest.ledger.checkpoint == checkpoint

    target, target_dir = fresh_installation(tmp_path, "restored")
    target_env = cli_env(target, target_dir)
    restored = run_cli("restore", str(archive), env=target_env)

    assert restored.returncode == 0, restored.stderr
    assert "the ledger verifies: size 6" in restored.stdout
    assert verify_output(target_env) == original
    assert run_cli("ledger", "checkpoint", env=target_env).stdout == checkpoint
    key = target_dir / "ledger-signing.key"
    assert key.read_bytes() == (data_dir / "ledger-signing.key").read_bytes()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    # The restored log is the same log: every receipt issued before the backup still verifies
    # against it, and new appends continue it under the same key.
    signer = load_or_create_signing_key(key, ORIGIN)
    assert all(r.verify(signer.verifier(), ORIGIN) for r in receipts)
    async with started_ledger(target, target_dir) as ledger:
        [receipt] = await ledger.append([make_draft(99)])
        assert receipt.index == 6
        assert (await ledger.verify()).ok
    # The append-only triggers came back with the database.
    with closing(sqlite3.connect(target_dir / "esp-portal.sqlite3")) as db:
        with pytest.raises(sqlite3.DatabaseError):
            db.execute("UPDATE ledger_entry SET channel = 'web' WHERE idx = 0")
        with pytest.raises(sqlite3.DatabaseError):
            db.execute("DELETE FROM ledger_entry WHERE idx = 0")


async def test_a_backup_taken_while_entries_are_appended_is_one_committed_state(
    sqlite_db: TestDatabase, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    await seed(sqlite_db, data_dir, batches=1)
    env = cli_env(sqlite_db, data_dir)
    archive = tmp_path / "during-writes.tar.gz"
    async with started_ledger(sqlite_db, data_dir) as ledger:
        stop = asyncio.Event()

        async def keep_appending() -> int:
            appended = 0
            while not stop.is_set():
                await ledger.append([make_draft(1000 + appended)])
                appended += 1
            return appended

        writer = asyncio.create_task(keep_appending())
        made = await asyncio.to_thread(backup, env, archive, "--include-signing-key")
        stop.set()
        appended = await writer
    assert made.returncode == 0, made.stderr
    assert appended > 0
    target, target_dir = fresh_installation(tmp_path, "restored")
    restored = run_cli("restore", str(archive), env=cli_env(target, target_dir))
    assert restored.returncode == 0, restored.stderr
    size = read_manifest(archive).ledger.size
    assert 2 <= size <= 2 + appended
    assert f"size {size}" in verify_output(cli_env(target, target_dir))


async def test_restore_refuses_to_overwrite_without_force_and_keeps_the_old_database_with_it(
    sqlite_db: TestDatabase, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    await seed(sqlite_db, data_dir, batches=1)
    env = cli_env(sqlite_db, data_dir)
    archive = tmp_path / "one.tar.gz"
    assert backup(env, archive).returncode == 0
    await seed(sqlite_db, data_dir, batches=2)  # the live database moves on after the backup
    live = Path(sqlite_db.url.removeprefix("sqlite:///"))
    before = digest(live)

    refused = run_cli("restore", str(archive), env=env)

    assert refused.returncode == 2
    assert "--force" in refused.stderr and "nothing was restored" in refused.stderr
    assert digest(live) == before

    forced = run_cli("restore", str(archive), "--force", env=env)

    assert forced.returncode == 0, forced.stderr
    [aside] = live.parent.glob("esp-portal.sqlite3.before-restore-*")
    assert digest(aside) == before
    assert str(aside) in forced.stdout
    assert "size 2," in verify_output(env)


async def test_a_damaged_archive_changes_nothing(sqlite_db: TestDatabase, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    await seed(sqlite_db, data_dir)
    archive = tmp_path / "good.tar.gz"
    assert backup(cli_env(sqlite_db, data_dir), archive, "--include-signing-key").returncode == 0
    raw = bytearray(archive.read_bytes())
    damaged = tmp_path / "damaged.tar.gz"
    for name, change in (
        ("truncated", raw[: len(raw) // 2]),
        ("flipped", raw[:200] + bytes([raw[200] ^ 0xFF]) + raw[201:]),
        ("not an archive", b"hello"),
    ):
        damaged.write_bytes(bytes(change))
        target, target_dir = fresh_installation(tmp_path, f"target-{name.replace(' ', '-')}")
        result = run_cli("restore", str(damaged), env=cli_env(target, target_dir))
        assert result.returncode == 2, (name, result.stderr)
        assert "nothing was restored" in result.stderr
        assert not (target_dir / "esp-portal.sqlite3").exists(), name
        assert not (target_dir / "ledger-signing.key").exists(), name
    missing = run_cli(
        "restore", str(tmp_path / "nowhere.tar.gz"), env=cli_env(*fresh_installation(tmp_path, "x"))
    )
    assert missing.returncode == 2 and "no such archive" in missing.stderr


async def test_an_archive_whose_ledger_was_rewritten_is_refused_even_with_matching_hashes(
    sqlite_db: TestDatabase, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    await seed(sqlite_db, data_dir)
    archive = tmp_path / "good.tar.gz"
    assert backup(cli_env(sqlite_db, data_dir), archive, "--include-signing-key").returncode == 0
    # Someone with the archive rewrites entry 3 behind the triggers and re-packs it with fresh
    # checksums: only the ledger's own verification can catch that.
    work = tmp_path / "forge"
    work.mkdir()
    manifest = read_manifest(archive)
    with (
        closing(sqlite3.connect(work / DATABASE)) as db,
        closing(sqlite3.connect(Path(sqlite_db.url.removeprefix("sqlite:///")))) as live,
    ):
        live.backup(db)
        triggers = db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entry'"
        ).fetchall()
        assert triggers
        for (trigger,) in triggers:
            db.execute(f'DROP TRIGGER "{trigger}"')
        db.execute("UPDATE ledger_entry SET body = replace(body, 'req-3', 'req-X') WHERE idx = 3")
        db.commit()
    key = data_dir / "ledger-signing.key"
    forged = tmp_path / "forged.tar.gz"
    write_archive(
        forged,
        Manifest(
            manifest.created_at,
            manifest.portal_version,
            manifest.ledger,
            {DATABASE: sha256_file(work / DATABASE), "ledger-signing.key": sha256_file(key)},
        ),
        {DATABASE: work / DATABASE, "ledger-signing.key": key},
    )
    target, target_dir = fresh_installation(tmp_path, "target")

    result = run_cli("restore", str(forged), env=cli_env(target, target_dir))

    assert result.returncode == 1, result.stderr
    assert "does not verify" in result.stderr and "index 3" in result.stderr
    assert not (target_dir / "esp-portal.sqlite3").exists()


async def test_restore_needs_the_installations_own_signing_key(
    sqlite_db: TestDatabase, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    await seed(sqlite_db, data_dir)
    archive = tmp_path / "without-key.tar.gz"
    made = backup(cli_env(sqlite_db, data_dir), archive)
    assert made.returncode == 0 and "not in the archive" in made.stderr
    target, target_dir = fresh_installation(tmp_path, "target")

    keyless = run_cli("restore", str(archive), env=cli_env(target, target_dir))

    assert keyless.returncode == 2 and "no ledger signing key" in keyless.stderr
    assert not (target_dir / "esp-portal.sqlite3").exists()
    load_or_create_signing_key(target_dir / "ledger-signing.key", ORIGIN)  # some other key
    other = run_cli("restore", str(archive), env=cli_env(target, target_dir))
    assert other.returncode == 2 and "not the key that signed" in other.stderr
    assert not (target_dir / "esp-portal.sqlite3").exists()
    shutil.copyfile(data_dir / "ledger-signing.key", target_dir / "ledger-signing.key")
    right = run_cli("restore", str(archive), env=cli_env(target, target_dir))
    assert right.returncode == 0, right.stderr


async def test_a_backup_never_overwrites_an_archive(
    sqlite_db: TestDatabase, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    await seed(sqlite_db, data_dir, batches=1)
    archive = tmp_path / "taken.tar.gz"
    archive.write_bytes(b"an earlier backup")
    result = backup(cli_env(sqlite_db, data_dir), archive)
    assert result.returncode == 2 and "never overwrites" in result.stderr
    assert archive.read_bytes() == b"an earlier backup"


def _pg(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def pg_db(pg_template: str) -> Iterator[TestDatabase]:
    """A migrated PostgreSQL database of its own (the pg_dump path is PostgreSQL's)."""
    name = f"esp_t_{uuid.uuid4().hex[:16]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    owner_url = _with_db(PG_ADMIN_URL, name)
    try:
        yield TestDatabase("postgres", _with_user(owner_url, PG_APP_ROLE), owner_url)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_postgresql_is_backed_up_with_pg_dump_as_documented(
    pg_db: TestDatabase, tmp_path: Path
) -> None:
    database = pg_db
    data_dir = tmp_path / "data"
    await seed(database, data_dir)
    env = cli_env(database, data_dir)
    refused = run_cli("backup", env=env)
    assert refused.returncode == 2 and "pg_dump" in refused.stderr
    assert "docs/BACKUP.md" in refused.stderr
    original = verify_output(env)
    # The steps docs/BACKUP.md gives, run for real.
    dump = tmp_path / "esp-portal.dump"
    _pg("pg_dump", "--format=custom", f"--file={dump}", database.owner_url)
    name = f"esp_t_{uuid.uuid4().hex[:16]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    owner_url = _with_db(PG_ADMIN_URL, name)
    try:
        _pg("pg_restore", "--exit-on-error", f"--dbname={owner_url}", str(dump))
        restored = TestDatabase("postgres", _with_user(owner_url, PG_APP_ROLE), owner_url)
        restored_env = cli_env(restored, data_dir)
        migrated = run_cli("migrate", env=restored_env)
        assert migrated.returncode == 0, migrated.stderr
        assert verify_output(restored_env) == original
        # The application role still cannot rewrite the log.
        connection = await asyncpg.connect(restored.url)
        try:
            with pytest.raises(asyncpg.PostgresError):
                await connection.execute("UPDATE ledger_entry SET channel = 'web' WHERE idx = 0")
        finally:
            await connection.close()
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
