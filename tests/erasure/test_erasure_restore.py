"""Erasure reaches backups: restoring a backup taken before an erasure erases the person again.

SQLite: ``esp-portal restore`` reads the recorded erasures of the database it replaces and
replays them once the backup is back. PostgreSQL (pg_dump, docs/BACKUP.md): ``esp-portal erasure
export`` before, ``esp-portal erasure replay`` after. Either way the ledger verifies, the person
is gone again, the other person stays, and the list carries on into the restored database.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ledger import Ledger
from ledger.note import load_or_create_signing_key
from portal.db import bind_engine, build_engine, close_engine, open_engine
from portal.erasure.plan import volunteer_digest
from tests.conftest import (
    PG_ADMIN_URL,
    PG_APP_ROLE,
    TestDatabase,
    _pg_admin,
    _with_db,
    _with_user,
    run_cli,
)
from tests.support import disclosure_world as world
from tests.support.cli import cli_env

LV = "esp.leave-verification"
DPO = str(uuid.uuid4())


async def _seed(database: TestDatabase, data_dir: Path) -> tuple[world.Person, world.Person]:
    engine = build_engine(database.url)
    bind_engine(engine)
    await open_engine(engine)
    signer = load_or_create_signing_key(data_dir / "ledger-signing.key", "esp-portal.local/ledger")
    ledger = Ledger(engine, signer, "esp-portal.local/ledger")
    await ledger.start()
    try:
        employer_id = await world.employer("Restore Ltd")
        await world.agreement(ledger, employer_id, {LV: ["identity"]})
        people = (await world.volunteer("Rhea Replayed"), await world.volunteer("Kai Kept"))
        for person in people:
            await world.employ(person, employer_id)
            await world.consent_event(person, employer_id, LV, ["identity"])
    finally:
        await ledger.close()
        await close_engine(engine)
    return people


async def _people(database: TestDatabase) -> set[str]:
    if database.kind == "sqlite":
        with closing(sqlite3.connect(database.url.removeprefix("sqlite:///"))) as db:
            return {r[0] for r in db.execute("SELECT id FROM volunteer")}
    connection = await asyncpg.connect(database.owner_url)
    try:
        return {str(r[0]) for r in await connection.fetch("SELECT id FROM volunteer")}
    finally:
        await connection.close()


def _ok(result: Any) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return str(result.stdout)


async def test_a_restored_sqlite_backup_replays_the_erasures_made_since(
    sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "live" / "esp-portal.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(sqlite_template, path)
    database = TestDatabase("sqlite", f"sqlite:///{path}", f"sqlite:///{path}")
    data_dir = tmp_path / "data"
    rhea, kai = await _seed(database, data_dir)
    env = cli_env(database, data_dir)
    archive = tmp_path / "nightly.tar.gz"
    _ok(run_cli("backup", "--output", str(archive), env=env))
    erased = _ok(
        run_cli(
            "erasure", "person", rhea.id, "--reason", "Art. 17(1)(a)", "--decided-by", DPO, env=env
        )
    )
    assert "Erased" in erased
    assert await _people(database) == {kai.id}

    restored = _ok(run_cli("restore", str(archive), "--force", env=env))

    assert "1 erased again" in restored
    assert await _people(database) == {kai.id}
    _ok(run_cli("ledger", "verify", env=env))
    exported = [
        json.loads(line) for line in _ok(run_cli("erasure", "export", env=env)).splitlines()
    ]
    assert [r["volunteer_digest"] for r in exported] == [volunteer_digest(rhea.id)]
    assert exported[0]["decided_by"] == DPO
    # A second restore of the same backup replays it again: the list carried over.
    again = _ok(run_cli("restore", str(archive), "--force", env=env))
    assert "1 erased again" in again and await _people(database) == {kai.id}


def _pg(*args: str) -> None:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


async def test_a_pg_restore_then_replay_erases_again(
    database: TestDatabase, tmp_path: Path
) -> None:
    if database.kind != "postgres":
        pytest.skip("SQLite restores with esp-portal restore: the test above")
    data_dir = tmp_path / "data"
    rhea, kai = await _seed(database, data_dir)
    env = cli_env(database, data_dir)
    dump = tmp_path / "before.dump"
    _pg("pg_dump", "--format=custom", f"--file={dump}", database.owner_url)
    _ok(
        run_cli(
            "erasure", "person", rhea.id, "--reason", "Art. 17(1)(d)", "--decided-by", DPO, env=env
        )
    )
    listing = tmp_path / "erasures.jsonl"
    _ok(run_cli("erasure", "export", "--output", str(listing), env=env))
    name = f"esp_t_{uuid.uuid4().hex[:16]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    owner_url = _with_db(PG_ADMIN_URL, name)
    try:
        _pg("pg_restore", "--exit-on-error", f"--dbname={owner_url}", str(dump))
        restored = TestDatabase("postgres", _with_user(owner_url, PG_APP_ROLE), owner_url)
        restored_env = cli_env(restored, data_dir)
        _ok(run_cli("migrate", env=restored_env))
        assert await _people(restored) == {rhea.id, kai.id}
        replayed = _ok(run_cli("erasure", "replay", str(listing), env=restored_env))
        assert "1 erased again" in replayed
        assert await _people(restored) == {kai.id}
        _ok(run_cli("ledger", "verify", env=restored_env))
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"id": "x"}\n', encoding="utf-8")
        refused = run_cli("erasure", "replay", str(bad), env=restored_env)
        assert refused.returncode == 1 and "line 1" in refused.stderr
    finally:
        await asyncio.wait_for(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'), 30)
